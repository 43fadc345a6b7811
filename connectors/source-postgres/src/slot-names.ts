import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from '@mage-int/core';
import type { Config } from './generated/config.js';

/** PostgreSQL's identifier limit (NAMEDATALEN - 1), in bytes. */
const MAX_NAME_BYTES = 63;
const PREFIX = 'mage_int_';
/** Room left for the readable part: prefix, `_`, 8 hex digits of hash. */
const READABLE_BYTES = MAX_NAME_BYTES - PREFIX.length - 1 - 8;

/** Where the names of a LOG_BASED read come from (shown in warnings and `mage-int slots list`). */
export type SlotNameOrigin = 'config' | 'pipeline' | 'standalone' | 'legacy';

/** The replication slot and publication one pipeline's LOG_BASED streams use. */
export interface SlotNames {
  slot: string;
  publication: string;
  origin: SlotNameOrigin;
}

/** The default before slots were per pipeline, still the default when no pipeline id is known (a standalone tap). */
export function databaseObjectName(database: string): string {
  return `${PREFIX}${database.toLowerCase().replace(/[^a-z0-9_]/g, '_')}`.slice(0, MAX_NAME_BYTES);
}

/**
 * The default slot (and publication) name of a pipeline: `mage_int_<id>_<hash>`, where `<id>` is the pipeline id
 * lowercased with every character outside `[a-z0-9_]` replaced by `_`, cut to 45 bytes, and `<hash>` the first 8
 * hex digits of SHA-256 of `<pipeline id>/<database>`. The hash keeps ids that read alike (`orders-eu`,
 * `orders_eu`), cut ids and the same id on two databases of one server (slot names are server-wide) apart.
 */
export function pipelineObjectName(pipelineId: string, database: string): string {
  const readable = pipelineId
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, READABLE_BYTES);
  const hash = createHash('sha256').update(`${pipelineId}/${database}`).digest('hex').slice(0, 8);
  return `${PREFIX}${readable}_${hash}`;
}

/** The names a config and pipeline use by default (no server lookup): explicit settings, else per pipeline, else per database. */
export function defaultSlotNames(config: Config, pipelineId: string | undefined): SlotNames {
  const fallback = pipelineId ? pipelineObjectName(pipelineId, config.database) : databaseObjectName(config.database);
  return {
    slot: config.replication_slot ?? fallback,
    publication: config.publication_name ?? fallback,
    origin: config.replication_slot ? 'config' : pipelineId ? 'pipeline' : 'standalone',
  };
}

async function slotExists(client: pg.Client, name: string, database: string): Promise<boolean> {
  const { rows } = await client.query(`SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND database = $2 AND plugin = 'pgoutput'`, [
    name,
    database,
  ]);
  return rows.length > 0;
}

/**
 * The names a pipeline's LOG_BASED read uses. A pipeline whose saved state has positions from before slots were per
 * pipeline keeps the old per-database slot `mage_int_<database>` (with a warning saying how to move), when its own
 * slot does not exist yet and the old one does: switching silently would lose every change since its last run.
 */
export async function resolveSlotNames(
  client: pg.Client,
  config: Config,
  pipelineId: string | undefined,
  hasPosition: boolean,
  logger?: Logger,
): Promise<SlotNames> {
  const names = defaultSlotNames(config, pipelineId);
  if (names.origin !== 'pipeline' || !hasPosition) return names;
  const legacy = databaseObjectName(config.database);
  if ((await slotExists(client, names.slot, config.database)) || !(await slotExists(client, legacy, config.database))) return names;
  logger?.warn(
    `pipeline ${pipelineId} keeps using replication slot ${legacy} (the per-database default of earlier versions), which holds its saved positions; ` +
      `its own slot would be ${names.slot}. To move: run it once with --full-refresh for its LOG_BASED streams, then drop ${legacy} once no other pipeline uses it; ` +
      `or set replication_slot: ${legacy} and publication_name: ${legacy} to keep it and silence this warning`,
  );
  return { slot: legacy, publication: config.publication_name ?? legacy, origin: 'legacy' };
}
