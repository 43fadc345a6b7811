import type { ConflictMethod } from '@mage-int/core';
import { quoteIdentifier } from '@mage-int/core/sql';

/** Staging-table columns the loader adds: load order (last wins) and the delete flag. */
export const STAGING_SEQUENCE = '_mage_seq';
export const STAGING_DELETED = '_mage_deleted';

export interface MergeOptions {
  /** Qualified target table. */
  target: string;
  /** Staging table (temporary, unqualified). */
  staging: string;
  /** Columns the staging table carries (besides its own). */
  columns: readonly string[];
  keys: readonly string[];
  method: ConflictMethod;
  /** The target has a unique index on exactly `keys`, so ON CONFLICT applies. */
  uniqueKey: boolean;
  /** Rows flagged `_mage_deleted` delete their key from the target (hard delete). */
  hardDelete: boolean;
}

/**
 * The statements that move a staging table into its target. Within the batch the last row of each key wins
 * (DISTINCT ON … ORDER BY the load sequence, descending); then per conflict method:
 * upsert inserts new keys and replaces existing rows, update_only only replaces, ignore only inserts new keys,
 * append inserts every row. Rows whose last version is a delete are removed from the target instead.
 */
export function mergeStatements(options: MergeOptions): string[] {
  const { target, staging, method, hardDelete } = options;
  const cols = options.columns.map(quoteIdentifier);
  const keys = options.keys.map(quoteIdentifier);
  const list = cols.join(', ');
  if (method === 'append' || keys.length === 0) return [`INSERT INTO ${target} (${list}) SELECT ${list} FROM ${quoteIdentifier(staging)} ORDER BY ${STAGING_SEQUENCE}`];

  const latest = `(SELECT DISTINCT ON (${keys.join(', ')}) * FROM ${quoteIdentifier(staging)} ORDER BY ${keys.join(', ')}, ${STAGING_SEQUENCE} DESC)`;
  const live = hardDelete ? ` WHERE d.${STAGING_DELETED} IS NOT TRUE` : '';
  const liveAnd = hardDelete ? ` AND d.${STAGING_DELETED} IS NOT TRUE` : '';
  const keyMatch = keys.map((k) => `t.${k} = d.${k}`).join(' AND ');
  const keySet = new Set(keys);
  const updatable = cols.filter((c) => !keySet.has(c));
  const selectD = cols.map((c) => `d.${c}`).join(', ');
  const out: string[] = [];

  if (method === 'upsert' || method === 'ignore') {
    if (options.uniqueKey) {
      const action = method === 'ignore' || updatable.length === 0 ? 'DO NOTHING' : `DO UPDATE SET ${updatable.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`;
      out.push(`INSERT INTO ${target} AS t (${list}) SELECT ${selectD} FROM ${latest} d${live} ON CONFLICT (${keys.join(', ')}) ${action}`);
    } else {
      if (method === 'upsert' && updatable.length > 0) {
        out.push(`UPDATE ${target} AS t SET ${updatable.map((c) => `${c} = d.${c}`).join(', ')} FROM ${latest} d WHERE ${keyMatch}${liveAnd}`);
      }
      out.push(`INSERT INTO ${target} (${list}) SELECT ${selectD} FROM ${latest} d WHERE NOT EXISTS (SELECT 1 FROM ${target} t WHERE ${keyMatch})${liveAnd}`);
    }
  } else if (method === 'update_only' && updatable.length > 0) {
    out.push(`UPDATE ${target} AS t SET ${updatable.map((c) => `${c} = d.${c}`).join(', ')} FROM ${latest} d WHERE ${keyMatch}${liveAnd}`);
  }
  if (hardDelete) out.push(`DELETE FROM ${target} AS t USING ${latest} d WHERE ${keyMatch} AND d.${STAGING_DELETED}`);
  return out;
}

/** Statements that retire rows of versions older than `version` after a full sync (ACTIVATE_VERSION). */
export function activateVersionStatements(target: string, version: number, hardDelete: boolean): string[] {
  const older = `(_sdc_table_version IS NULL OR _sdc_table_version < ${Math.trunc(version)})`;
  if (hardDelete) return [`DELETE FROM ${target} WHERE ${older}`];
  return [`UPDATE ${target} SET _sdc_deleted_at = now() WHERE ${older} AND _sdc_deleted_at IS NULL`];
}
