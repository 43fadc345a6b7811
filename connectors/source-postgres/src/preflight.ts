import {
  assertLogBasedStreamUsable,
  ConnectorError,
  replicationKey,
  replicationMethod,
  selectedFields,
  type CatalogStream,
} from '@mage-int/core';
import type pg from 'pg';
import { ident, qualified } from './connection.js';
import type { Config } from './generated/config.js';
import type { SlotNames } from './slot-names.js';
import { tableNotFound, tableOf } from './table-plan.js';

/** What the server offers LOG_BASED replication. */
export interface ServerFacts {
  /** server_version_num, e.g. 160004. */
  version: number;
}

/** Fails with a fix when the server or the user cannot do logical replication. */
export async function checkReplicationServer(client: pg.Client, config: Config): Promise<ServerFacts> {
  const { rows } = await client.query<{ wal_level: string; version: string; rolreplication: boolean; rolsuper: boolean }>(
    // Managed services grant replication through a role (RDS: rds_replication) rather than the attribute.
    `SELECT current_setting('wal_level') AS wal_level, current_setting('server_version_num') AS version,
       r.rolreplication OR EXISTS (SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid
         WHERE m.member = r.oid AND (g.rolreplication OR g.rolname IN ('rds_replication', 'rds_superuser'))) AS rolreplication,
       r.rolsuper
     FROM pg_roles r WHERE r.rolname = current_user`,
  );
  const row = rows[0]!;
  if (row.wal_level !== 'logical') {
    throw new ConnectorError('WAL_LEVEL_NOT_LOGICAL', `LOG_BASED replication needs wal_level = logical, the server has ${row.wal_level}`, {
      hint: 'run ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL (managed services: enable logical replication in the parameter group)',
    });
  }
  if (!row.rolreplication && !row.rolsuper) {
    throw new ConnectorError(
      'REPLICATION_PERMISSION_MISSING',
      `user ${config.username} may not use replication slots (no REPLICATION attribute)`,
      {
        hint: `ALTER ROLE ${ident(config.username)} WITH REPLICATION; (on RDS: GRANT rds_replication TO ${ident(config.username)})`,
      },
    );
  }
  return { version: Number(row.version) };
}

interface TableFacts {
  i: number;
  oid: number | null;
  relkind: string | null;
  ident: string | null;
  has_pk: boolean | null;
  schema_usage: boolean | null;
  can_select: boolean | null;
  owned: boolean | null;
}

/** Tables need a replica identity before they join a publication: without one PostgreSQL refuses their UPDATEs and DELETEs. */
function assertReplicaIdentity(stream: CatalogStream, table: string, facts: TableFacts): void {
  if (facts.ident === 'n' || (facts.ident === 'd' && !facts.has_pk && facts.relkind !== 'p')) {
    throw new ConnectorError(
      'REPLICA_IDENTITY_MISSING',
      `${table} has no replica identity (no primary key), so PostgreSQL would refuse its UPDATEs and DELETEs once it is published`,
      {
        stream: stream.tap_stream_id,
        hint: `ALTER TABLE ${table} REPLICA IDENTITY FULL; (the WAL then carries the whole old row, so updates and deletes reach the destination by the stream's key_properties), or add a primary key`,
      },
    );
  }
}

/** Publication membership and the right to change it. */
async function assertPublication(
  client: pg.Client,
  config: Config,
  names: SlotNames,
  streams: readonly { stream: CatalogStream; table: string; facts: TableFacts }[],
): Promise<void> {
  const { rows } = await client.query<{ puballtables: boolean; owned: boolean; members: number[] }>(
    `SELECT p.puballtables, pg_has_role(p.pubowner, 'USAGE') AS owned,
       ARRAY(SELECT prrelid::int FROM pg_publication_rel r WHERE r.prpubid = p.oid) AS members
     FROM pg_publication p WHERE p.pubname = $1`,
    [names.publication],
  );
  const publication = rows[0];
  if (publication?.puballtables) return;
  const missing = streams.filter((s) => !publication?.members.includes(s.facts.oid!));
  if (missing.length === 0) return;
  const list = missing.map((s) => s.table).join(', ');
  if (!publication) {
    const { rows: db } = await client.query<{ can_create: boolean; superuser: boolean }>(
      `SELECT has_database_privilege(current_database(), 'CREATE') AS can_create, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser`,
    );
    if (!db[0]?.can_create && !db[0]?.superuser) {
      throw new ConnectorError(
        'PUBLICATION_CREATE_DENIED',
        `publication ${names.publication} does not exist and user ${config.username} may not create it (no CREATE on database ${config.database})`,
        {
          hint: `GRANT CREATE ON DATABASE ${ident(config.database)} TO ${ident(config.username)}; or create it as the tables' owner: CREATE PUBLICATION ${ident(names.publication)} FOR TABLE ${list};`,
        },
      );
    }
  } else if (!publication.owned) {
    throw new ConnectorError(
      'PUBLICATION_ALTER_DENIED',
      `publication ${names.publication} lacks ${list}, and user ${config.username} does not own it`,
      {
        stream: missing[0]!.stream.tap_stream_id,
        hint: `as the publication's owner run: ALTER PUBLICATION ${ident(names.publication)} ADD TABLE ${list};`,
      },
    );
  }
  const notOwned = missing.filter((s) => !s.facts.owned);
  if (notOwned.length > 0) {
    const tables = notOwned.map((s) => s.table).join(', ');
    throw new ConnectorError(
      'PUBLICATION_TABLE_NOT_OWNED',
      `user ${config.username} may not add ${tables} to publication ${names.publication} (only a table's owner may publish it)`,
      {
        stream: notOwned[0]!.stream.tap_stream_id,
        hint: `as the tables' owner run: ${publication ? `ALTER PUBLICATION ${ident(names.publication)} ADD TABLE ${tables}` : `CREATE PUBLICATION ${ident(names.publication)} FOR TABLE ${tables}`};`,
      },
    );
  }
}

/**
 * Everything a read of `streams` needs that can be known before reading: each table exists and is readable (schema
 * USAGE, SELECT on the selected columns); for LOG_BASED streams also a key, logical WAL, the REPLICATION attribute,
 * a replica identity, and a publication that has the tables or may be made to. `read` runs it first and `check`
 * reports it, so both fail with the same message, before anything is read.
 */
export async function preflight(
  client: pg.Client,
  config: Config,
  streams: readonly CatalogStream[],
  slotNames: () => Promise<SlotNames>,
): Promise<void> {
  for (const stream of streams) {
    if (replicationMethod(stream) === 'INCREMENTAL' && !replicationKey(stream)) {
      throw new ConnectorError('REPLICATION_KEY_NOT_SET', 'INCREMENTAL replication needs a replication key', {
        stream: stream.tap_stream_id,
        hint: 'set `replication_key` for the stream (one of its valid-replication-keys), or use FULL_TABLE',
      });
    }
  }
  const logBased = streams.filter((s) => replicationMethod(s) === 'LOG_BASED');
  for (const stream of logBased) assertLogBasedStreamUsable(stream);
  if (logBased.length > 0) await checkReplicationServer(client, config);
  if (streams.length === 0) return;
  const located = streams.map((stream) => ({ stream, ...tableOf(stream) }));
  const { rows } = await client.query<TableFacts>(
    `SELECT s.i::int AS i, c.oid::int AS oid, c.relkind::text AS relkind, c.relreplident::text AS ident,
       EXISTS (SELECT 1 FROM pg_index x WHERE x.indrelid = c.oid AND x.indisprimary) AS has_pk,
       has_schema_privilege(n.oid, 'USAGE') AS schema_usage,
       has_table_privilege(c.oid, 'SELECT') OR (SELECT coalesce(bool_and(has_column_privilege(c.oid, a.attnum, 'SELECT')), false)
         FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
           AND a.attname IN (SELECT jsonb_array_elements_text($3::jsonb -> (s.i::int - 1)))) AS can_select,
       pg_has_role(c.relowner, 'USAGE') AS owned
     FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS s(schema_name, table_name, i)
     LEFT JOIN pg_namespace n ON n.nspname = s.schema_name
     LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = s.table_name
     ORDER BY s.i`,
    [located.map((l) => l.schemaName), located.map((l) => l.tableName), JSON.stringify(located.map((l) => selectedFields(l.stream)))],
  );
  const published: { stream: CatalogStream; table: string; facts: TableFacts }[] = [];
  for (const [index, { stream, schemaName, tableName }] of located.entries()) {
    const facts = rows[index]!;
    const table = qualified(schemaName, tableName);
    if (facts.oid === null) throw tableNotFound(stream, schemaName, tableName);
    if (!facts.schema_usage || !facts.can_select) {
      throw new ConnectorError(
        'PERMISSION_DENIED',
        `user ${config.username} may not read ${table} (${facts.schema_usage ? 'no SELECT on the table' : `no USAGE on schema ${ident(schemaName)}`})`,
        {
          stream: stream.tap_stream_id,
          hint: `GRANT USAGE ON SCHEMA ${ident(schemaName)} TO ${ident(config.username)}; GRANT SELECT ON ${table} TO ${ident(config.username)};`,
        },
      );
    }
    if (replicationMethod(stream) !== 'LOG_BASED') continue;
    assertReplicaIdentity(stream, table, facts);
    published.push({ stream, table, facts });
  }
  if (published.length > 0) await assertPublication(client, config, await slotNames(), published);
}
