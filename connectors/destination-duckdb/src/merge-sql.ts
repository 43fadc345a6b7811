import type { ConflictMethod } from '@mage-int/core';
import { quoteIdentifier as q } from '@mage-int/core/sql';

/** Staging column holding each row's arrival order, so the last of several rows with one key wins. */
export const SEQUENCE_COLUMN = '__mage_seq';

export interface MergePlan {
  /** Quoted, qualified target table. */
  target: string;
  /** Quoted, qualified staging table. */
  stage: string;
  /** Staged data columns (unquoted), without the sequence column. */
  columns: readonly string[];
  keys: readonly string[];
  method: ConflictMethod;
  hardDelete: boolean;
  /** The `_sdc_deleted_at` column when staged rows may be deletes. */
  deletedAt?: string;
  /** A column set to the commit time on every written row (`_sdc_batched_at`). */
  batchedAt?: string;
  /** No key occurs twice among the staged rows: the merge need not pick the last of each. */
  distinctKeys?: boolean;
}

/**
 * The statement moving staged rows into the target. Without keys (or with `append`) rows are inserted as
 * they are. With keys, duplicates within the batch collapse to the last one, then one MERGE applies the
 * conflict rule; a record carrying `_sdc_deleted_at` deletes the row with its key (hard) or is kept with
 * that mark (soft: an existing row keeps the values the record lacks).
 */
export function mergeStatement(plan: MergePlan): string {
  const { target, stage, columns, keys, method, deletedAt, batchedAt } = plan;
  const insertColumns = [...columns, ...(batchedAt ? [batchedAt] : [])].map(q).join(', ');
  if (method === 'append' || keys.length === 0) {
    const values = [...columns.map(q), ...(batchedAt ? ['now()'] : [])].join(', ');
    return `INSERT INTO ${target} (${insertColumns}) SELECT ${values} FROM ${stage}`;
  }
  const latest = plan.distinctKeys ? `SELECT * FROM ${stage}` : `SELECT * FROM ${stage} QUALIFY row_number() OVER (PARTITION BY ${keys.map(q).join(', ')} ORDER BY ${q(SEQUENCE_COLUMN)} DESC) = 1`;
  const on = keys.map((k) => `t.${q(k)} = s.${q(k)}`).join(' AND ');
  const stamp = batchedAt ? `, ${q(batchedAt)} = now()` : '';
  const clauses: string[] = [];
  if (deletedAt && plan.hardDelete) clauses.push(`WHEN MATCHED AND s.${q(deletedAt)} IS NOT NULL THEN DELETE`);
  if (deletedAt && !plan.hardDelete) {
    // A delete often carries only the key: mark the row, keeping the values the record does not have.
    const kept = columns.filter((c) => !keys.includes(c)).map((c) => (c === deletedAt ? `${q(c)} = s.${q(c)}` : `${q(c)} = coalesce(s.${q(c)}, t.${q(c)})`));
    clauses.push(`WHEN MATCHED AND s.${q(deletedAt)} IS NOT NULL THEN UPDATE SET ${kept.join(', ')}${stamp}`);
  }
  if (method === 'upsert' || method === 'update_only') {
    const updated = columns.filter((c) => !keys.includes(c));
    const set = (updated.length > 0 ? updated : keys).map((c) => `${q(c)} = s.${q(c)}`).join(', ');
    clauses.push(`WHEN MATCHED THEN UPDATE SET ${set}${stamp}`);
  }
  if (method === 'upsert' || method === 'ignore') {
    const values = [...columns.map((c) => `s.${q(c)}`), ...(batchedAt ? ['now()'] : [])].join(', ');
    // Hard deletes of unknown keys insert nothing; soft ones keep the record, marked deleted.
    const guard = deletedAt && plan.hardDelete ? ` AND s.${q(deletedAt)} IS NULL` : '';
    clauses.push(`WHEN NOT MATCHED${guard} THEN INSERT (${insertColumns}) VALUES (${values})`);
  }
  if (clauses.length === 0) return '';
  return `MERGE INTO ${target} AS t USING (${latest}) AS s ON ${on}\n${clauses.join('\n')}`;
}

/**
 * ACTIVATE_VERSION: rows not written by `version` (older or unversioned) are gone from the source;
 * delete them, or mark them deleted at `now`.
 */
export function activateVersionStatement(target: string, version: number, hardDelete: boolean, now: string, deletedAt: string, tableVersion: string): string {
  const stale = `(${q(tableVersion)} IS NULL OR ${q(tableVersion)} < ${Math.trunc(version)})`;
  if (hardDelete) return `DELETE FROM ${target} WHERE ${stale}`;
  return `UPDATE ${target} SET ${q(deletedAt)} = '${now}'::TIMESTAMPTZ WHERE ${stale} AND ${q(deletedAt)} IS NULL`;
}
