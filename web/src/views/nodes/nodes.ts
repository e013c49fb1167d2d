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
export const ADD_NODE = gql<{ addNode: { token: string; composeSnippet: string; readmitted: boolean; node: NodeItem } | TypedError }, { name: string }>`
  mutation AddNode($name: String!) { addNode(name: $name) { __typename ... on AddedNode { token composeSnippet readmitted node { ${NODE_FIELDS} } } ${ERROR_FIELDS} } }
`;
export const REVOKE_NODE = gql<{ revokeNode: NodeItem | TypedError }, { id: string }>`
  mutation RevokeNode($id: ID!) { revokeNode(id: $id) { __typename ... on Node { ${NODE_FIELDS} } ${ERROR_FIELDS} } }
`;
/** The instances of a node, named in the warning before it is forgotten with them. */
export const NODE_INSTANCES = gql<{ instances: { id: string; name: string; nodeId: string | null; containerName: string | null }[] }>`
  query NodeInstances { instances { id name nodeId containerName } }
`;
export interface DeletedNode {
  id: string; name: string; warning: string | null;
  forgottenInstances: { id: string; name: string; containerName: string | null; volumeName: string | null }[];
}
export const DELETE_NODE = gql<{ deleteNode: DeletedNode | TypedError }, { id: string; forgetInstances: boolean }>`
  mutation DeleteNode($id: ID!, $forgetInstances: Boolean!) {
    deleteNode(id: $id, forgetInstances: $forgetInstances) { __typename ... on DeletedNode { id name warning forgottenInstances { id name containerName volumeName } } ${ERROR_FIELDS} }
  }
`;
