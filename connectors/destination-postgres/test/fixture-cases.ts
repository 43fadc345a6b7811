import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Decimal, parseExactJson, type StreamLoadOptions } from '@mage-int/core';

/** The shared, engine-neutral destination fixtures (see tools/testkit/fixtures/destination/README.md). */
export const FIXTURES_DIR = fileURLToPath(new URL('../../../tools/testkit/fixtures/destination', import.meta.url));

export interface FixtureCase {
  name: string;
  inputPath: string;
  setupPath?: string;
  description?: string;
  config: Record<string, unknown>;
  streams: Record<string, StreamLoadOptions>;
  tables?: Record<string, Record<string, unknown>[]>;
  error?: { code?: string; message?: string; message_includes?: string[] };
  finalState?: unknown;
}

export function fixtureCases(): FixtureCase[] {
  return readdirSync(FIXTURES_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(join(FIXTURES_DIR, e.name, 'expected.json')))
    .map((e) => e.name)
    .sort()
    .map((name) => {
      const dir = join(FIXTURES_DIR, name);
      const expected = parseExactJson(readFileSync(join(dir, 'expected.json'), 'utf8')) as Omit<FixtureCase, 'name' | 'inputPath' | 'setupPath'>;
      const setupPath = join(dir, 'setup.jsonl');
      return {
        ...expected,
        name,
        inputPath: join(dir, 'input.jsonl'),
        ...(existsSync(setupPath) ? { setupPath } : {}),
        config: expected.config ?? {},
        streams: expected.streams ?? {},
      };
    });
}

function canonicalNumber(text: string): string {
  if (/[eE]/.test(text)) return String(Number(text));
  let [int = '0', frac = ''] = text.split('.');
  const negative = int.startsWith('-');
  int = int.replace(/^[-+]/, '').replace(/^0+(?=\d)/, '');
  frac = frac.replace(/0+$/, '');
  const body = frac ? `${int}.${frac}` : int;
  return negative && body !== '0' ? `-${body}` : body;
}

const INSTANT = /^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d(:\d\d(\.\d+)?)?([Zz]|[+-]\d\d(:?\d\d)?)$/;
const LOCAL_TIMESTAMP = /^(\d{4}-\d\d-\d\d)[Tt ](\d\d:\d\d(?::\d\d)?)(\.\d+)?$/;

/** The canonical form of a value (see the fixtures README): numbers as decimal text, instants in UTC, JSON structurally. */
export function canonicalValue(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === 'number') return canonicalNumber(String(value));
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Decimal) return canonicalNumber(value.text);
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(trimmed)) return canonicalNumber(trimmed);
    if (INSTANT.test(trimmed)) {
      const zone = /([Zz]|[+-]\d\d(:?\d\d)?)$/.exec(trimmed)?.[0] ?? 'Z';
      const normalizedZone = zone === 'z' || zone === 'Z' ? 'Z' : zone.length === 3 ? `${zone}:00` : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
      const body = trimmed.slice(0, trimmed.length - zone.length).replace(' ', 'T');
      const ms = Date.parse(`${body.replace(/(\.\d{3})\d+/, '$1')}${normalizedZone}`);
      const micros = /\.(\d+)/.exec(body)?.[1]?.slice(3, 6).replace(/0+$/, '') ?? '';
      if (!Number.isNaN(ms)) return `${new Date(ms).toISOString()}${micros ? `+${micros}us` : ''}`;
    }
    const local = LOCAL_TIMESTAMP.exec(trimmed);
    if (local) return `${local[1]}T${local[2]}${(local[3] ?? '').replace(/\.?0+$/, '')}`;
    return value;
  }
  if (Array.isArray(value)) return value.map(canonicalValue);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([k, v]) => [k, canonicalValue(v)]));
  }
  return value;
}

function isNotNullMatcher(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>)['$not_null'] === true;
}

function matches(actual: Record<string, unknown>, expected: Record<string, unknown>): boolean {
  for (const [column, want] of Object.entries(expected)) {
    const got = actual[column];
    if (isNotNullMatcher(want)) {
      if (got === null || got === undefined) return false;
      continue;
    }
    if (JSON.stringify(canonicalValue(got)) !== JSON.stringify(canonicalValue(want))) return false;
  }
  return true;
}

/** Differences between a table and the expected rows (multiset, on the named columns), or undefined. */
export function diffTable(actual: readonly Record<string, unknown>[], expected: readonly Record<string, unknown>[]): string | undefined {
  const named = [...new Set(expected.flatMap((r) => Object.keys(r)))];
  const columns = new Set(actual.flatMap((r) => Object.keys(r)));
  const absent = actual.length > 0 ? named.filter((c) => !columns.has(c)) : [];
  if (absent.length > 0) return `columns missing from the table: ${absent.join(', ')} (table has ${[...columns].join(', ')})`;
  const left = [...actual];
  const missing: Record<string, unknown>[] = [];
  for (const row of expected) {
    const index = left.findIndex((a) => matches(a, row));
    if (index === -1) missing.push(row);
    else left.splice(index, 1);
  }
  if (missing.length === 0 && left.length === 0) return undefined;
  const show = (rows: Record<string, unknown>[]) => rows.map((r) => JSON.stringify(canonicalValue(Object.fromEntries(named.map((c) => [c, r[c]]))))).join('\n    ');
  return [`expected ${expected.length} rows, found ${actual.length}`, missing.length ? `  missing:\n    ${show(missing)}` : '', left.length ? `  unexpected:\n    ${show(left)}` : ''].filter(Boolean).join('\n');
}
