import { gql } from '@urql/core';
import { ERROR_FIELDS, type TypedError } from '../../api/errors.js';

/** GraphQL operations of the instances pages, with the result types they select. */

export interface EngineCapabilities {
  backup: boolean; browse: boolean; bulkUpdate: boolean; createDatabase: boolean; dropTable: boolean;
  editRows: boolean; keysetPaging: boolean; query: boolean; upgrade: boolean; users: boolean;
}
export interface EngineTerms { database: string; table: string; row: string; queryLanguage: string | null }
export interface EngineSummary {
  id: string; displayName: string; description: string; defaultVersion: string; defaultDatabase: string; rootUser: string;
  versions: { version: string; image: string; isDefault: boolean }[];
  plugins: { id: string; label: string; description: string }[];
  capabilities: EngineCapabilities;
  terms: EngineTerms;
}
export interface ConnectionInfo { host: string; port: number; user: string; password: string; database: string; strings: { label: string; value: string }[] }
export type ContainerState = 'CREATED' | 'RUNNING' | 'PAUSED' | 'RESTARTING' | 'EXITED' | 'DEAD' | 'REMOVING' | 'MISSING' | 'UNKNOWN';
export type InstanceStatus = 'PROVISIONING' | 'READY' | 'UPGRADING' | 'RESTORING' | 'FAILED' | 'DELETING';
/** What an instance's lifecycle allows now (the server decides; the UI only enables buttons by it). */
export type InstanceAction = 'START' | 'STOP' | 'RESTART' | 'RENAME' | 'ROTATE' | 'UPGRADE' | 'ROLLBACK' | 'DISCARD_PREVIOUS' | 'VISIBILITY' | 'BACKUP' | 'RESTORE' | 'DELETE';
export interface InstanceRow {
  id: string; name: string; engineId: string; version: string; status: InstanceStatus; statusDetail: string | null;
  state: ContainerState; hostPort: number | null; isPublic: boolean; nodeId: string | null; nodeConnected: boolean;
  createdAt: string; engine: { displayName: string; versions: { version: string }[]; capabilities: EngineCapabilities; terms: EngineTerms };
  canRollback: boolean; previousVersion: string | null;
  allowedActions: InstanceAction[];
  repairs: { action: InstanceAction; description: string }[];
  activeOperation: { id: string } | null;
}
export interface InstanceDetail extends InstanceRow {
  defaultDatabase: string; rootUser: string; storage: 'VOLUME' | 'HOST'; plugins: string[]; containerName: string | null; volumeName: string | null; startedAt: string | null;
  connection: ConnectionInfo | null;
  managedUsers: { name: string; password: string; createdAt: string }[];
}

const ENGINE_FIELDS = `
  id displayName description defaultVersion defaultDatabase rootUser
  versions { version image isDefault }
  plugins { id label description }
  capabilities { backup browse bulkUpdate createDatabase dropTable editRows keysetPaging query upgrade users }
  terms { database table row queryLanguage }
`;

const INSTANCE_ROW = `
  id name engineId version status statusDetail state hostPort isPublic nodeId nodeConnected createdAt canRollback previousVersion
  allowedActions repairs { action description } activeOperation { id }
  engine { displayName versions { version } capabilities { backup browse bulkUpdate createDatabase dropTable editRows keysetPaging query upgrade users } terms { database table row queryLanguage } }
`;

export const ENGINES = gql<{ engines: EngineSummary[] }>`query Engines { engines { ${ENGINE_FIELDS} } }`;
export const INSTANCES = gql<{ instances: InstanceRow[] }>`query Instances { instances { ${INSTANCE_ROW} } }`;
export const INSTANCE = gql<{ instance: InstanceDetail | TypedError }, { id: string }>`
  query Instance($id: ID!) {
    instance(id: $id) {
      __typename
      ... on Instance {
        ${INSTANCE_ROW}
        defaultDatabase rootUser storage plugins containerName volumeName startedAt
        connection { host port user password database strings { label value } }
        managedUsers { name password createdAt }
      }
      ${ERROR_FIELDS}
    }
  }
`;

export interface ProvisionInput {
  engine: string; version?: string; name: string; defaultDatabase?: string; password?: string; isPublic: boolean;
  plugins: string[]; storage: 'VOLUME' | 'HOST'; nodeId?: string;
}
export const PROVISION = gql<{ provisionInstance: { id: string; name: string } | TypedError }, { input: ProvisionInput }>`
  mutation Provision($input: ProvisionInput!) { provisionInstance(input: $input) { __typename ... on Instance { id name } ${ERROR_FIELDS} } }
`;

export interface Progress { phase: string; message: string; current: number | null; total: number | null; done: boolean; error: string | null; at: string }
export const PROVISION_PROGRESS = gql<{ provisionProgress: Progress }, { instanceId: string }>`
  subscription ProvisionProgress($instanceId: ID!) { provisionProgress(instanceId: $instanceId) { phase message current total done error at } }
`;
export const OPERATION_PROGRESS = gql<{ operationProgress: Progress }, { instanceId: string; operation: string }>`
  subscription OperationProgress($instanceId: ID!, $operation: OperationKind!) { operationProgress(instanceId: $instanceId, operation: $operation) { phase message current total done error at } }
`;
/** One operation by id: replayed from its start, and it always ends (also after a restart of the server). */
export const OPERATION_PROGRESS_BY_ID = gql<{ operationProgress: Progress }, { operationId: string }>`
  subscription OperationProgressById($operationId: ID!) { operationProgress(operationId: $operationId) { phase message current total done error at } }
`;

export interface OrphanRow { kind: 'CONTAINER' | 'VOLUME'; id: string; name: string; instanceId: string; nodeId: string | null; engine: string | null; version: string | null; state: string | null }
export const ORPHANS = gql<{ orphans: OrphanRow[] }>`query Orphans { orphans { kind id name instanceId nodeId engine version state } }`;
export const REMOVE_ORPHAN = gql<{ removeOrphan: { name: string } | TypedError }, { kind: OrphanRow['kind']; id: string; nodeId: string | null }>`
  mutation RemoveOrphan($kind: OrphanKind!, $id: ID!, $nodeId: ID) { removeOrphan(kind: $kind, id: $id, nodeId: $nodeId) { __typename ... on Orphan { name } ${ERROR_FIELDS} } }
`;

export const INSTANCE_EVENTS = gql<{ instanceEvents: { instanceId: string; kind: string; message: string; at: string } }, { instanceId?: string | null }>`
  subscription InstanceEvents($instanceId: ID) { instanceEvents(instanceId: $instanceId) { instanceId kind message at } }
`;

const lifecycle = (field: string, extraArgs = '', extraVars = '') => gql<Record<string, InstanceRow | TypedError>, { id: string } & Record<string, unknown>>`
  mutation ${field[0]!.toUpperCase() + field.slice(1)}($id: ID!${extraVars}) { ${field}(id: $id${extraArgs}) { __typename ... on Instance { ${INSTANCE_ROW} } ${ERROR_FIELDS} } }
`;
export const START = lifecycle('startInstance');
export const STOP = lifecycle('stopInstance');
export const RESTART = lifecycle('restartInstance');
export const RENAME = lifecycle('renameInstance', ', name: $name', ', $name: String!');
export const VISIBILITY = lifecycle('setInstanceVisibility', ', isPublic: $isPublic', ', $isPublic: Boolean!');
export const UPGRADE = lifecycle('upgradeInstance', ', version: $version', ', $version: String!');
export const ROLLBACK = lifecycle('rollbackUpgrade');
export const ROTATE_ROOT = lifecycle('rotateRootPassword', ', password: $password', ', $password: String');

export const DELETE_INSTANCE = gql<{ deleteInstance: { id: string } | TypedError }, { id: string; deleteBackups: boolean }>`
  mutation DeleteInstance($id: ID!, $deleteBackups: Boolean!) { deleteInstance(id: $id, deleteBackups: $deleteBackups) { __typename ... on Deleted { id } ${ERROR_FIELDS} } }
`;

/** Nodes are added by a later server version; the wizard asks for them only when the field exists. */
export const ONLINE_NODES = gql<{ nodes: { id: string; name: string; status: string }[] }>`query WizardNodes { nodes { id name status } }`;
