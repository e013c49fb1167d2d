import type { EnginePlugin } from '@krint/engine-sdk';

function extension(id: string, label: string, description: string): EnginePlugin {
  return {
    id,
    label,
    description,
    install: { kind: 'statements', statements: [`CREATE EXTENSION IF NOT EXISTS "${id}"`] },
  };
}

/**
 * Extensions users can pick at provision time; each is installed with `CREATE EXTENSION` in the
 * default database once the instance is ready. The image must ship the extension's files (the
 * official images ship pg_trgm, uuid-ossp and hstore; PostGIS and pgvector need images that add them).
 */
export const POSTGRES_PLUGINS: readonly EnginePlugin[] = [
  extension('postgis', 'PostGIS', 'Spatial types, indexes and functions.'),
  extension('pg_trgm', 'pg_trgm', 'Trigram similarity search and indexes for LIKE/ILIKE.'),
  extension('uuid-ossp', 'uuid-ossp', 'Functions that generate UUIDs.'),
  extension('hstore', 'hstore', 'A key/value column type.'),
  extension('vector', 'pgvector', 'Vector similarity search (the image must include pgvector).'),
];
