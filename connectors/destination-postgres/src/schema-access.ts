import { ConnectorError } from '@mage-int/core';
import type pg from 'pg';
import { PostgresDialect } from './postgres-dialect.js';

/** Where the destination writes, and as whom. */
export interface SchemaTarget {
  database: string;
  schema: string;
  username: string;
  /** false with skip_schema_creation: the schema must exist. */
  mayCreateSchema?: boolean;
}

/** The dialect's quoting (one helper per engine). */
function quoted(name: string): string {
  return new PostgresDialect().quoteIdentifier(name);
}

/**
 * Fails, before anything is loaded, when the user cannot create tables where the destination writes: CREATE and USAGE
 * on the schema, or CREATE on the database when the schema does not exist yet. Every session checks it on connect,
 * so `mage-int check` and a run report the same message.
 */
export async function assertSchemaWritable(client: pg.Client, target: SchemaTarget): Promise<void> {
  const { rows } = await client.query<{ exists: boolean; can_create_schema: boolean; can_use_schema: boolean | null }>(
    `SELECT n.oid IS NOT NULL AS exists,
            has_database_privilege(current_database(), 'CREATE') AS can_create_schema,
            CASE WHEN n.oid IS NULL THEN NULL ELSE has_schema_privilege(n.oid, 'CREATE') AND has_schema_privilege(n.oid, 'USAGE') END AS can_use_schema
       FROM (SELECT 1) one LEFT JOIN pg_namespace n ON n.nspname = $1`,
    [target.schema],
  );
  const row = rows[0];
  if (row?.exists && !row.can_use_schema) {
    throw new ConnectorError(
      'SCHEMA_NOT_WRITABLE',
      `user ${target.username} cannot create tables in schema "${target.schema}" (needs USAGE and CREATE on it)`,
      {
        hint: `GRANT USAGE, CREATE ON SCHEMA ${quoted(target.schema)} TO ${quoted(target.username)}; or set "schema" to one the user may write`,
      },
    );
  }
  if (row && !row.exists && target.mayCreateSchema === false) {
    throw new ConnectorError('SCHEMA_MISSING', `schema "${target.schema}" does not exist, and skip_schema_creation says not to create it`, {
      field: 'schema',
      hint: `create it (CREATE SCHEMA ${quoted(target.schema)} AUTHORIZATION ${quoted(target.username)};), correct "schema", or drop skip_schema_creation`,
    });
  }
  if (row && !row.exists && !row.can_create_schema) {
    throw new ConnectorError(
      'SCHEMA_NOT_CREATABLE',
      `schema "${target.schema}" does not exist and user ${target.username} cannot create it (needs CREATE on database ${target.database})`,
      {
        hint: `CREATE SCHEMA ${quoted(target.schema)} AUTHORIZATION ${quoted(target.username)}; (as an owner of the database), or GRANT CREATE ON DATABASE ${quoted(target.database)} TO ${quoted(target.username)};`,
      },
    );
  }
}
