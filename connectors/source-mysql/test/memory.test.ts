import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, ensureBuilt, type TestDatabase } from './helpers.js';

const ROWS = 3_000;
let db: TestDatabase;
const dir = mkdtempSync(join(tmpdir(), 'mage-src-my-memory-'));

beforeAll(async () => {
  ensureBuilt(['core', 'connectors/source-mysql']);
  db = await createTestDatabase({ batch_size: 50 });
  // 3,000 rows of 100 KB: a 300 MB table, more than the tap may use in all. Kept out of the binlog (a shared server).
  await db.sql(`SET SESSION sql_log_bin = 0`);
  await db.sql(`CREATE TABLE wide (id int PRIMARY KEY, body mediumtext)`);
  await db.sql(`INSERT INTO wide SELECT seq, REPEAT(CONCAT('row ', seq, ' ünïcödé '), 5000) FROM seq_1_to_${ROWS}`);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(db.config));
}, 60_000);
afterAll(async () => {
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('memory', () => {
  it('streams a 300 MB table as a Singer tap in under 280 MB, holding a few batches rather than the table', async () => {
    const bin = join(dirname(fileURLToPath(import.meta.url)), '../dist/bin.js');
    const report = `data:text/javascript,process.on('exit', () => process.stderr.write('peak-rss-kb ' + process.resourceUsage().maxRSS + '\\n'))`;
    const child = spawn(process.execPath, ['--import', report, bin, '--config', 'config.json'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let lines = 0;
    let bytes = 0;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, stderr).toBe(0);
    expect(lines).toBeGreaterThan(ROWS);
    expect(bytes).toBeGreaterThan(300_000_000);
    const peakKb = Number(/peak-rss-kb (\d+)/.exec(stderr)?.[1]);
    expect(peakKb / 1024, stderr).toBeLessThan(280); // ~210–230 MB measured whatever the table size (500 to 3,000 rows); the table alone is 300 MB
  }, 120_000);
});
