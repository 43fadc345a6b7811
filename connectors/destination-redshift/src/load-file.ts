import { mkdtemp, rm } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { Decimal, JsonText } from '@mage-int/core';
import type { LoadColumn, StandardType } from '@mage-int/core/sql';

/**
 * The NULL marker of the load files (`NULL AS '\0'` in the COPY): an unquoted NUL character. Every string is
 * written enclosed in quotes, so an empty string (`""`) and NULL never meet; NUL itself cannot occur in a string
 * (the destination refuses or strips it first, as Redshift VARCHAR cannot hold it).
 */
export const NULL_MARKER = '\0';

/** How a staged column is written: as text (VARCHAR, and SUPER/VARBYTE staged as text), or as a scalar of its type. */
export interface FileColumn {
  column: LoadColumn<StandardType>;
  /** The staging column is VARCHAR: NULL is the marker (an empty unquoted field would be the empty string). */
  text: boolean;
}

const quote = (text: string) => `"${text.replace(/"/g, '""')}"`;

/** Plain decimal text of a number literal (COPY reads no exponents into NUMERIC). */
export function plainNumber(text: string): string {
  const match = /^([+-]?)(\d*)(?:\.(\d*))?[eE]([+-]?\d+)$/.exec(text);
  if (!match) return text;
  const [, sign, int = '', frac = '', exp] = match;
  const digits = `${int}${frac}`.replace(/^0+(?=\d)/, '');
  const point = int.length + Number(exp);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`.replace(/\.?0+$/, '') || '0';
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * A timestamp in COPY's default format, `YYYY-MM-DD HH:MI:SS[.ffffff]`, in UTC (the session's and the load's time
 * zone): an offset is applied, fractions beyond microseconds are cut. Text that is no ISO timestamp is passed as it is
 * (COPY then refuses it, naming the value).
 */
export function copyTimestamp(text: string): string {
  const match = ISO.exec(text);
  if (!match) return text;
  const [, y, mo, d, h, mi, s, fraction, offset] = match;
  const micros = fraction ? `.${fraction.slice(0, 6)}` : '';
  if (!offset || /^z$/i.test(offset) || /^[+-]00(:?00)?$/.test(offset)) return `${y}-${mo}-${d} ${h}:${mi}:${s}${micros}`;
  const sign = offset.startsWith('-') ? -1 : 1;
  const [oh, om = '0'] = offset.slice(1).split(/:?(?=\d{2}$)/);
  const date = new Date(0);
  date.setUTCFullYear(Number(y), Number(mo) - 1, Number(d));
  date.setUTCHours(Number(h), Number(mi) - sign * (Number(oh) * 60 + Number(om)), Number(s), 0);
  return `${pad(date.getUTCFullYear(), 4)}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}${micros}`;
}

/** The CSV field of one staged value. */
export function csvField(file: FileColumn, value: unknown): string {
  const { column } = file;
  if (value === null || value === undefined) return file.text ? NULL_MARKER : '';
  if (column.type === 'sequence') return String(value);
  if (column.type === 'deleted') return value ? 'true' : '';
  if (value instanceof Uint8Array) return quote(Buffer.from(value).toString('hex'));
  if (value instanceof JsonText) return quote(value.text);
  const logical = column.type.logical;
  if (value instanceof Decimal) return plainNumber(value.text);
  if (typeof value === 'bigint') return String(value);
  if (typeof value === 'number') return plainNumber(String(value));
  if (typeof value === 'boolean') return file.text ? quote(String(value)) : String(value);
  const text = String(value);
  if (text.includes('\0')) throw new Error('a value holds a NUL character (U+0000), which Redshift cannot store');
  if (!file.text && (logical === 'timestamptz' || logical === 'timestamp')) return copyTimestamp(text);
  if (!file.text && (logical === 'integer' || logical === 'decimal' || logical === 'number')) return plainNumber(text);
  return file.text ? quote(text) : text;
}

/**
 * A gzip CSV load file of staged rows in a folder of its own (`remove` deletes both): fields in the staging table's
 * column order, strings quoted, NULL as the unquoted NUL marker in text columns and an empty field elsewhere.
 */
export async function writeLoadFile(
  columns: readonly FileColumn[],
  rows: readonly unknown[][],
): Promise<{ path: string; bytes: number; remove: () => Promise<void> }> {
  const folder = await mkdtemp(join(tmpdir(), 'mage-int-redshift-'));
  const path = join(folder, 'rows.csv.gz');
  const remove = () => rm(folder, { recursive: true, force: true });
  let bytes = 0;
  function* lines(): Generator<string> {
    const chunk: string[] = [];
    for (const row of rows) {
      chunk.push(`${columns.map((c, i) => csvField(c, row[i])).join(',')}\n`);
      if (chunk.length === 5000) {
        const text = chunk.join('');
        bytes += Buffer.byteLength(text);
        yield text;
        chunk.length = 0;
      }
    }
    if (chunk.length > 0) {
      const text = chunk.join('');
      bytes += Buffer.byteLength(text);
      yield text;
    }
  }
  try {
    await pipeline(Readable.from(lines()), createGzip(), createWriteStream(path));
  } catch (error) {
    await remove();
    throw error;
  }
  return { path, bytes, remove };
}
