import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createTestDatabase, type TestDatabase } from './helpers.js';

let db: TestDatabase;
const dir = mkdtempSync(join(tmpdir(), 'mage-src-pg-pipeline-'));
// Connectors are found in node_modules above the pipeline file, as in a user's project (they run from dist/).
symlinkSync(join(dirname(fileURLToPath(import.meta.url)), '../../../node_modules'), join(dir, 'node_modules'));

beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql(`CREATE TABLE people (id int PRIMARY KEY, name text, seen_at timestamptz);
    INSERT INTO people VALUES (1, 'ada', '2024-01-01 00:00:00+00'), (2, 'bob', '2024-01-02 00:00:00+00');`);
});
afterAll(async () => {
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('pipeline files', () => {
  it('runs `source: {name: postgres}` from a pipeline YAML, with ${ENV} interpolation', async () => {
    writeFileSync(
      join(dir, 'pipeline.yaml'),
      `id: pg_to_jsonl
source:
  name: postgres
  config:
    host: 127.0.0.1
    port: \${TEST_PGPORT}
    database: ${db.name}
    username: postgres
streams:
  people:
    replication_method: INCREMENTAL
    replication_key: seen_at
destination:
  name: jsonl
  config:
    destination_path: out
state:
  path: state
`,
    );
    // As a user runs it: plain Node with the built packages (vitest's module runner would load sources instead).
    const script = `import { loadPipelineFile, pipelineFromConfig } from '@mage-int/core';
      const run = await pipelineFromConfig(await loadPipelineFile('pipeline.yaml'));
      const summary = await run.run();
      console.log(JSON.stringify(summary.state));`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: dir,
      env: { ...process.env, TEST_PGPORT: '5432' },
      encoding: 'utf8',
    });
    expect(child.status, child.stderr).toBe(0);
    const state = JSON.parse(child.stdout.trim().split('\n').pop()!) as { bookmarks: Record<string, unknown> };
    expect(state.bookmarks['public-people']).toMatchObject({
      replication_key: 'seen_at',
      replication_key_value: '2024-01-02T00:00:00+00:00',
    });
    const lines = readFileSync(join(dir, 'out', 'people.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l['name'])).toEqual(['ada', 'bob']);
  });

  it('runs as a Singer tap: --discover, then records on stdout', () => {
    const bin = join(dirname(fileURLToPath(import.meta.url)), '../dist/bin.js');
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...{ host: '127.0.0.1', database: db.name, username: 'postgres' } }));
    const discovered = spawnSync(process.execPath, [bin, '--config', 'config.json', '--discover'], { cwd: dir, encoding: 'utf8' });
    expect(discovered.status, discovered.stderr).toBe(0);
    const catalog = JSON.parse(discovered.stdout) as { streams: { tap_stream_id: string }[] };
    expect(catalog.streams.map((s) => s.tap_stream_id)).toEqual(['public-people']);
    const read = spawnSync(process.execPath, [bin, '--config', 'config.json'], { cwd: dir, encoding: 'utf8' });
    expect(read.status, read.stderr).toBe(0);
    const messages = read.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; record?: Record<string, unknown> });
    expect(messages.filter((m) => m.type === 'RECORD').map((m) => m.record?.['name'])).toEqual(['ada', 'bob']);
    expect(messages.map((m) => m.type)).toContain('ACTIVATE_VERSION');
  });
});
