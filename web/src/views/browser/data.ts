import { gql } from '@urql/core';
import { ERROR_FIELDS, type TypedError } from '../../api/errors.js';
import type { GridColumn, GridRow, JsonValue } from './use-grid-edit.js';

/** GraphQL operations for browsing, editing and querying data, and for databases and users. */

export interface DatabaseInfo { name: string; sizeBytes: number | null; isSystem: boolean }
export interface TableInfo { name: string; schema: string | null; rowCount: number | null; rowCountIsEstimate: boolean; kind: string | null }
export interface RowPage { columns: GridColumn[]; rows: GridRow[]; keyColumns: string[]; nextCursor: string | null; total: number | null; totalIsEstimate: boolean }
export interface QueryResult { columns: GridColumn[]; rows: GridRow[]; rowCount: number | null; truncated: boolean; command: string | null; durationMs: number }
export interface UserInfo { name: string; isSystem: boolean; isSuperuser: boolean }
export interface GrantInfo { user: string; database: string; access: 'READ' | 'READWRITE' | 'ALL'; privileges: string[] }

type Success<T> = { data: T };
const COLUMN = 'columns { name type nullable isPrimaryKey }';

export const DATABASES = gql<{ databases: Success<DatabaseInfo[]> | TypedError }, { instanceId: string }>`
  query Databases($instanceId: ID!) { databases(instanceId: $instanceId) { __typename ... on QueryDatabasesSuccess { data { name sizeBytes isSystem } } ${ERROR_FIELDS} } }
`;
export const TABLES = gql<{ tables: Success<TableInfo[]> | TypedError }, { instanceId: string; database: string }>`
  query Tables($instanceId: ID!, $database: String!) { tables(instanceId: $instanceId, database: $database) { __typename ... on QueryTablesSuccess { data { name schema rowCount rowCountIsEstimate kind } } ${ERROR_FIELDS} } }
`;
export const ROWS = gql<{ rows: RowPage | TypedError }, { instanceId: string; database: string; table: string; cursor: string | null; limit: number }>`
  query Rows($instanceId: ID!, $database: String!, $table: String!, $cursor: String, $limit: Int) {
    rows(instanceId: $instanceId, database: $database, table: $table, cursor: $cursor, limit: $limit) {
      __typename ... on RowPage { ${COLUMN} rows keyColumns nextCursor total totalIsEstimate } ${ERROR_FIELDS}
    }
  }
`;
type TableArgs = { instanceId: string; database: string; table: string };
export const UPDATE_ROW = gql<{ updateRow: { row: GridRow } | TypedError }, TableArgs & { update: { key: GridRow; changes: GridRow; expected?: GridRow } }>`
  mutation UpdateRow($instanceId: ID!, $database: String!, $table: String!, $update: RowUpdateInput!) {
    updateRow(instanceId: $instanceId, database: $database, table: $table, update: $update) { __typename ... on RowResult { row } ${ERROR_FIELDS} }
  }
`;
export const INSERT_ROW = gql<{ insertRow: { row: GridRow } | TypedError }, TableArgs & { values: GridRow }>`
  mutation InsertRow($instanceId: ID!, $database: String!, $table: String!, $values: JSON!) {
    insertRow(instanceId: $instanceId, database: $database, table: $table, values: $values) { __typename ... on RowResult { row } ${ERROR_FIELDS} }
  }
`;
export const DELETE_ROW = gql<{ deleteRow: { table: string } | TypedError }, TableArgs & { key: Record<string, JsonValue> }>`
  mutation DeleteRow($instanceId: ID!, $database: String!, $table: String!, $key: JSON!) {
    deleteRow(instanceId: $instanceId, database: $database, table: $table, key: $key) { __typename ... on TableRef { table } ${ERROR_FIELDS} }
  }
`;
export const DROP_TABLE = gql<{ dropTable: { table: string } | TypedError }, TableArgs>`
  mutation DropTable($instanceId: ID!, $database: String!, $table: String!) {
    dropTable(instanceId: $instanceId, database: $database, table: $table) { __typename ... on TableRef { table } ${ERROR_FIELDS} }
  }
`;
export const RUN_QUERY = gql<{ runQuery: QueryResult | TypedError }, { instanceId: string; database: string; text: string; rowLimit: number }>`
  mutation RunQuery($instanceId: ID!, $database: String!, $text: String!, $rowLimit: Int) {
    runQuery(instanceId: $instanceId, database: $database, text: $text, rowLimit: $rowLimit) {
      __typename ... on QueryResult { ${COLUMN} rows rowCount truncated command durationMs } ${ERROR_FIELDS}
    }
  }
`;

export const USERS = gql<{ users: Success<UserInfo[]> | TypedError }, { instanceId: string }>`
  query Users($instanceId: ID!) { users(instanceId: $instanceId) { __typename ... on QueryUsersSuccess { data { name isSystem isSuperuser } } ${ERROR_FIELDS} } }
`;
export const GRANTS = gql<{ grants: Success<GrantInfo[]> | TypedError }, { instanceId: string; user: string | null }>`
  query Grants($instanceId: ID!, $user: String) { grants(instanceId: $instanceId, user: $user) { __typename ... on QueryGrantsSuccess { data { user database access privileges } } ${ERROR_FIELDS} } }
`;
export const CREATE_DATABASE = gql<{ createDatabase: { name: string } | TypedError }, { instanceId: string; name: string }>`
  mutation CreateDatabase($instanceId: ID!, $name: String!) { createDatabase(instanceId: $instanceId, name: $name) { __typename ... on NamedObject { name } ${ERROR_FIELDS} } }
`;
export const DROP_DATABASE = gql<{ dropDatabase: { name: string } | TypedError }, { instanceId: string; name: string }>`
  mutation DropDatabase($instanceId: ID!, $name: String!) { dropDatabase(instanceId: $instanceId, name: $name) { __typename ... on NamedObject { name } ${ERROR_FIELDS} } }
`;
export const CREATE_USER = gql<{ createUser: { name: string; password: string } | TypedError }, { instanceId: string; name: string; password: string | null }>`
  mutation CreateUser($instanceId: ID!, $name: String!, $password: String) { createUser(instanceId: $instanceId, name: $name, password: $password) { __typename ... on UserCredentials { name password } ${ERROR_FIELDS} } }
`;
export const RESET_PASSWORD = gql<{ resetUserPassword: { name: string; password: string } | TypedError }, { instanceId: string; name: string }>`
  mutation ResetUserPassword($instanceId: ID!, $name: String!) { resetUserPassword(instanceId: $instanceId, name: $name) { __typename ... on UserCredentials { name password } ${ERROR_FIELDS} } }
`;
export const DROP_USER = gql<{ dropUser: { name: string } | TypedError }, { instanceId: string; name: string }>`
  mutation DropUser($instanceId: ID!, $name: String!) { dropUser(instanceId: $instanceId, name: $name) { __typename ... on NamedObject { name } ${ERROR_FIELDS} } }
`;
export const GRANT_ACCESS = gql<{ grantAccess: GrantInfo | TypedError }, { instanceId: string; user: string; database: string; access: string }>`
  mutation GrantAccess($instanceId: ID!, $user: String!, $database: String!, $access: AccessLevel!) {
    grantAccess(instanceId: $instanceId, user: $user, database: $database, access: $access) { __typename ... on Grant { user database access privileges } ${ERROR_FIELDS} }
  }
`;
export const REVOKE_ACCESS = gql<{ revokeAccess: { user: string; database: string } | TypedError }, { instanceId: string; user: string; database: string }>`
  mutation RevokeAccess($instanceId: ID!, $user: String!, $database: String!) {
    revokeAccess(instanceId: $instanceId, user: $user, database: $database) { __typename ... on RevokedGrant { user database } ${ERROR_FIELDS} }
  }
`;
