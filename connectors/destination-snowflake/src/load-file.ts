import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Decimal, JsonText, type RecordData } from '@mage-int/core';
import type { LoadColumn, StandardType } from '@mage-int/core/sql';
import { TextFileWriter } from '@mage-int/files';

/** The CSV cell of one staged value: exact numbers as their text, JSON as its text, bytes as hex; null stays null. */
function cell(column: LoadColumn<StandardType>, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (column.type === 'sequence') return String(value);
  if (column.type === 'deleted') return value ? 'true' : null;
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (value instanceof Decimal || value instanceof JsonText) return value.text;
  if (typeof value === 'bigint' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value;
}

/**
 * A gzip CSV load file of staged rows (written with the files kit: an unquoted empty field is NULL, an empty string
 * is `""`), in a folder of its own; `remove` deletes both. Columns are positional (`$1`, `$2` … in the COPY).
 */
export async function writeLoadFile(
  columns: readonly LoadColumn<StandardType>[],
  rows: readonly unknown[][],
): Promise<{ path: string; name: string; bytes: number; remove: () => Promise<void> }> {
  const folder = await mkdtemp(join(tmpdir(), 'mage-int-snowflake-'));
  const name = 'rows.csv.gz';
  const path = join(folder, name);
  const remove = () => rm(folder, { recursive: true, force: true });
  const names = columns.map((_, i) => `c${i}`);
  const writer = new TextFileWriter(path, 'csv', 'gzip', names, { delimiter: ',', header: false });
  try {
    const chunk = 10_000;
    for (let start = 0; start < rows.length; start += chunk)
      await writer.write(
        rows.slice(start, start + chunk).map((row) => {
          const record: RecordData = {};
          columns.forEach((column, i) => {
            record[`c${i}`] = cell(column, row[i]);
          });
          return record;
        }),
      );
    await writer.finish();
  } catch (error) {
    await writer.abort().catch(() => {});
    await remove();
    throw error;
  }
  return { path, name, bytes: writer.bytes, remove };
}
