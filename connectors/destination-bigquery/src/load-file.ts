import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decimal, JsonText, type RecordData } from '@mage-int/core';
import type { LoadColumn, StandardType } from '@mage-int/core/sql';
import { TextFileWriter } from '@mage-int/files';

/** A BigQuery schema field of a load job (TableFieldSchema). */
export interface LoadField {
  name: string;
  type: string;
  mode: 'NULLABLE' | 'REQUIRED' | 'REPEATED';
}

/** The load job's schema for staging columns: data columns as typed, then the load order and the delete flag. */
export function loadFields(columns: readonly LoadColumn<StandardType>[]): LoadField[] {
  return columns.map((column) => {
    if (column.type === 'sequence') return { name: column.name, type: 'INT64', mode: 'NULLABLE' };
    if (column.type === 'deleted') return { name: column.name, type: 'BOOL', mode: 'NULLABLE' };
    const repeated = /^ARRAY<(.+)>$/.exec(column.type.sql);
    return repeated
      ? { name: column.name, type: repeated[1] as string, mode: 'REPEATED' }
      : { name: column.name, type: column.type.sql, mode: 'NULLABLE' };
  });
}

/**
 * A timestamp as BigQuery's canonical UTC text with microseconds (`2024-01-01 00:00:00.123456+00:00`), the offset
 * applied exactly (no Date rounding to milliseconds); digits beyond microseconds are cut, as BigQuery keeps µs.
 * Text that is not an ISO timestamp is passed on for BigQuery to refuse with its own message.
 */
export function utcTimestamp(text: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?$/.exec(text.trim());
  if (!m) return text;
  const [, y, mo, d, h, mi, s = '00', fraction = '', zone = 'Z'] = m as unknown as string[];
  let offsetMinutes = 0;
  if (zone && !/^(z|utc)$/i.test(zone)) {
    const z = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone) as RegExpExecArray;
    offsetMinutes = (z[1] === '-' ? -1 : 1) * (Number(z[2]) * 60 + Number(z[3] ?? 0));
  }
  const seconds = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) / 1000 - offsetMinutes * 60;
  if (!Number.isFinite(seconds)) return text;
  const iso = new Date(seconds * 1000).toISOString();
  const micros = fraction.slice(0, 6).padEnd(6, '0');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${micros}+00:00`;
}

/** One staged row as a JSON object of the load file: exact numbers as strings, JSON raw, bytes base64. */
function loadRecord(columns: readonly LoadColumn<StandardType>[], row: readonly unknown[]): RecordData {
  const record: RecordData = {};
  columns.forEach((column, i) => {
    const value = row[i];
    if (value === null || value === undefined) return;
    if (column.type === 'sequence' || column.type === 'deleted') {
      record[column.name] = value;
      return;
    }
    const { logical, sql } = column.type;
    if (logical === 'json') {
      // JSON columns take the value itself; a REPEATED column its array (the SQL kit hands both as JSON text).
      record[column.name] = new JsonText(String(value));
    } else if (value instanceof Decimal) {
      record[column.name] = value.text;
    } else if (typeof value === 'bigint') {
      record[column.name] = value.toString();
    } else if (typeof value === 'number' && (logical === 'decimal' || logical === 'number') && sql !== 'FLOAT64') {
      // A JSON number kept as the shortest text that reads back as it (NUMERIC/BIGNUMERIC parse text exactly).
      record[column.name] = String(value);
    } else if (value instanceof Uint8Array) {
      record[column.name] = Buffer.from(value).toString('base64');
    } else if (logical === 'timestamptz' && typeof value === 'string') {
      record[column.name] = utcTimestamp(value);
    } else {
      record[column.name] = value;
    }
  });
  return record;
}

/** A gzip NDJSON load file of staged rows (written with the files kit), in a folder of its own; `remove` deletes both. */
export async function writeLoadFile(
  columns: readonly LoadColumn<StandardType>[],
  rows: readonly unknown[][],
): Promise<{ path: string; bytes: number; remove: () => Promise<void> }> {
  const folder = await mkdtemp(join(tmpdir(), 'mage-int-bigquery-'));
  const path = join(folder, 'rows.jsonl.gz');
  const remove = () => rm(folder, { recursive: true, force: true });
  const writer = new TextFileWriter(path, 'jsonl', 'gzip', [], { delimiter: ',', header: false });
  try {
    const chunk = 10_000;
    for (let start = 0; start < rows.length; start += chunk)
      await writer.write(rows.slice(start, start + chunk).map((row) => loadRecord(columns, row)));
    await writer.finish();
  } catch (error) {
    await writer.abort().catch(() => {});
    await remove();
    throw error;
  }
  return { path, bytes: writer.bytes, remove };
}
