import { gql } from '@urql/core';
import { ERROR_FIELDS, type TypedError } from '../../api/errors.js';

/** GraphQL operations of the nodes page (fields added to the server with the node hub). */
export interface NodeItem {
  id: string; name: string; status: 'ONLINE' | 'OFFLINE' | 'PENDING' | 'REVOKED'; online: boolean;
  machineName: string | null; os: string | null; arch: string | null; dockerVersion: string | null; krintVersion: string | null;
  engines: string[]; instanceCount: number; lastSeenAt: string | null; createdAt: string;
}
const NODE_FIELDS = 'id name status online machineName os arch dockerVersion krintVersion engines instanceCount lastSeenAt createdAt';

export const NODES = gql<{ nodes: NodeItem[] }>`query Nodes { nodes { ${NODE_FIELDS} } }`;
export const PING_NODE = gql<{ pingNode: { nodeId: string; roundTripMs: number } | TypedError }, { id: string }>`
  query PingNode($id: ID!) { pingNode(id: $id) { __typename ... on NodePing { nodeId roundTripMs } ${ERROR_FIELDS} } }
`;
export const ADD_NODE = gql<{ addNode: { token: string; composeSnippet: string; node: NodeItem } | TypedError }, { name: string }>`
  mutation AddNode($name: String!) { addNode(name: $name) { __typename ... on AddedNode { token composeSnippet node { ${NODE_FIELDS} } } ${ERROR_FIELDS} } }
`;
export const REVOKE_NODE = gql<{ revokeNode: NodeItem | TypedError }, { id: string }>`
  mutation RevokeNode($id: ID!) { revokeNode(id: $id) { __typename ... on Node { ${NODE_FIELDS} } ${ERROR_FIELDS} } }
`;
