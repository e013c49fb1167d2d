export * from './protocol/commands.js';
export { PROTOCOL_VERSION } from './protocol/version.js';
export * from './protocol/node-messages.js';
