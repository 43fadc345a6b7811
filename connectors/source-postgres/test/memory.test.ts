import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './helpers.js';

const ROWS = 150_000;
let db: TestDatabase;
const dir = mkdtempSync(join(tmpdir(), 'mage-src-pg-memory-'));

beforeAll(async () => {
  db = await createTestDatabase();
  // The mixed table of bench/destination-postgres: numeric, float, int, timestamptz, date, bool, varchar,
  // text with quotes/newlines/unicode, jsonb.
  await db.sql(`
    CREATE TABLE src (id bigint PRIMARY KEY, amount numeric(14,2) NOT NULL, ratio double precision, qty integer,
      created_at timestamptz NOT NULL, due_date date, active boolean, code varchar(32), name text, payload jsonb);
    INSERT INTO src
    SELECT g, (g * 7919 % 100000000) / 100.0, g / 7.0, (g % 1000)::int,
           timestamptz '2020-01-01 00:00:00+00' + g * interval '1.234567 second', date '2020-01-01' + (g % 3000)::int,
           g % 3 = 0, 'CODE-' || (g % 10000),
           CASE g % 4 WHEN 0 THEN 'plain name ' || g WHEN 1 THEN 'O''Brien said "hi", ' || g
                      WHEN 2 THEN E'multi\\nline\\ttab\\\\back ' || g ELSE 'ünïcödé 日本語 😀 ' || g END,
           jsonb_build_object('id', g, 'tags', jsonb_build_array('a', 'b', g % 10),
                              'nested', jsonb_build_object('x', ((g % 1000) / 8.0)::float8, 's', 'str "q" ' || g))
    FROM generate_series(1::bigint, ${ROWS}) g;`);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(db.config));
});
afterAll(async () => {
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('memory', () => {
  it('runs as a Singer tap in under 200 MB, holding a batch at a time rather than the table', async () => {
    const bin = join(dirname(fileURLToPath(import.meta.url)), '../dist/bin.js');
    // Reports the tap's own peak RSS when it exits.
    const report = `data:text/javascript,process.on('exit', () => process.stderr.write('peak-rss-kb ' + process.resourceUsage().maxRSS + '\\n'))`;
    const child = spawn(process.execPath, ['--import', report, bin, '--config', 'config.json'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let lines = 0;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, stderr).toBe(0);
    expect(lines).toBeGreaterThan(ROWS);
    const peakKb = Number(/peak-rss-kb (\d+)/.exec(stderr)?.[1]);
    expect(peakKb / 1024, stderr).toBeLessThan(200); // ~125–145 MB measured; the whole table would be far more
  });
});
