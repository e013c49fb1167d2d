import { agentCommands } from './agent-handlers.js';
import { backupStreams, backupUploads } from './backup-handlers.js';
import { consoleCommands, consoleStreams } from './console-handlers.js';
import type { CommandHandlers, StreamHandlers, UploadHandlers } from './context.js';
import { databaseCommands } from './database-handlers.js';
import { instanceCommands, instanceStreams } from './instance-handlers.js';
import { userCommands } from './user-handlers.js';

/** Every command of the protocol and its handler; a command without one does not compile. */
export const commandHandlers = {
  ...agentCommands,
  ...instanceCommands,
  ...databaseCommands,
  ...userCommands,
  ...consoleCommands,
} satisfies CommandHandlers;

export const streamHandlers = {
  ...instanceStreams,
  ...consoleStreams,
  ...backupStreams,
} satisfies StreamHandlers;

export const uploadHandlers = {
  ...backupUploads,
} satisfies UploadHandlers;

export type { AgentContext, CommandHandler, StreamHandler, UploadHandler } from './context.js';
