import { gql } from '@urql/core';
import { query } from './request.js';

interface SchemaFields {
  __schema: { queryType: { fields: { name: string }[] }; mutationType: { fields: { name: string }[] } | null };
}

const SCHEMA_FIELDS = gql<SchemaFields>`
  query SchemaFields {
    __schema {
      queryType { fields { name } }
      mutationType { fields { name } }
    }
  }
`;

/** Which root fields this server offers: parts of Krint (nodes, auth) arrive in later versions. */
export interface ServerFeatures {
  has(field: string): boolean;
}

let cached: Promise<ServerFeatures> | null = null;

/** Asks the server once per page load which root fields it has. */
export function serverFeatures(): Promise<ServerFeatures> {
  cached ??= query(SCHEMA_FIELDS, {}).then(
    (data) => {
      const names = new Set([...data.__schema.queryType.fields, ...(data.__schema.mutationType?.fields ?? [])].map((f) => f.name));
      return { has: (field: string) => names.has(field) };
    },
    (error: unknown) => {
      cached = null;
      throw error;
    },
  );
  return cached;
}
