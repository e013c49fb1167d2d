import { gql } from '@urql/core';
import { ERROR_FIELDS, type TypedError } from '../../api/errors.js';
import type { LogLine } from './use-log-buffer.js';

/**
 * GraphQL operations of the console: logs (each event a list of lines, one when the log is quiet
 * and many in a burst) and the interactive shell.
 */
export const LOGS = gql<{ logs: LogLine[] }, { instanceId: string; tail: number }>`
  subscription Logs($instanceId: ID!, $tail: Int) { logs(instanceId: $instanceId, tail: $tail) { stream text time } }
`;
export const OPEN_SHELL = gql<{ openShell: { id: string } | TypedError }, { instanceId: string; columns: number; rows: number }>`
  mutation OpenShell($instanceId: ID!, $columns: Int, $rows: Int) { openShell(instanceId: $instanceId, columns: $columns, rows: $rows) { __typename ... on ShellSession { id } ${ERROR_FIELDS} } }
`;
export const SHELL = gql<{ shell: { kind: string; data: string | null; exitCode: number | null } }, { sessionId: string }>`
  subscription Shell($sessionId: ID!) { shell(sessionId: $sessionId) { kind data exitCode } }
`;
export const SHELL_INPUT = gql<{ shellInput: { ok: boolean } | TypedError }, { sessionId: string; data: string }>`
  mutation ShellInput($sessionId: ID!, $data: String!) { shellInput(sessionId: $sessionId, data: $data) { __typename ... on Ack { ok } ${ERROR_FIELDS} } }
`;
export const SHELL_RESIZE = gql<{ shellResize: { ok: boolean } | TypedError }, { sessionId: string; columns: number; rows: number }>`
  mutation ShellResize($sessionId: ID!, $columns: Int!, $rows: Int!) { shellResize(sessionId: $sessionId, columns: $columns, rows: $rows) { __typename ... on Ack { ok } ${ERROR_FIELDS} } }
`;
