import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildCatalogStream,
  createLogger,
  defineDestination,
  defineSource,
  parsePipelineConfig,
  pipeline,
  silentLogger,
} from '../src/index.js';

const source = (fail = false) =>
  defineSource<Record<string, never>>({
    kind: 'source',
    name: 'one',
    spec: { type: 'object' },
    check: async () => ({ ok: true }),
    discover: async () => ({
      streams: [buildCatalogStream({ stream: 'rows', schema: { properties: { id: { type: 'integer' } } }, keyProperties: ['id'] })],
    }),
    async *read() {
      yield { type: 'SCHEMA', stream: 'rows', schema: { properties: { id: { type: 'integer' } } }, key_properties: ['id'] };
      yield { type: 'RECORD', stream: 'rows', record: { id: 1 } };
      yield { type: 'STATE', value: { bookmarks: { rows: { last_pk_fetched: { id: 1 } } } } };
      if (fail) throw new Error('source broke');
    },
  });

const executed: string[] = [];
const destination = (withExecute: boolean) =>
  defineDestination<Record<string, never>>({
    kind: 'destination',
    name: withExecute ? 'sqlish' : 'plain',
    spec: { type: 'object' },
    check: async () => ({ ok: true }),
    async *write(_config, messages) {
      for await (const m of messages) if (m.type === 'STATE') yield m;
    },
    ...(withExecute ? { execute: async (_config: Record<string, never>, sql: string) => void executed.push(sql) } : {}),
  });

describe('after_load', () => {
  const dir = mkdtempSync(join(tmpdir(), 'after-load-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs SQL in the destination and then commands, in order, only after the last commit', async () => {
    executed.length = 0;
    const marker = join(dir, 'ran.txt');
    await pipeline({
      source: { connector: source(), config: {} },
      destination: { connector: destination(true), config: {} },
      afterLoad: [
        { sql: 'create view v as select 1' },
        { command: `echo "$GREETING" > ran.txt`, cwd: dir, env: { GREETING: `after ${executed.length}` } },
      ],
    }).run({ logger: silentLogger });
    expect(executed).toEqual(['create view v as select 1']);
    expect(readFileSync(marker, 'utf8')).toBe('after 0\n');
  });

  it('does not run after a failed run', async () => {
    executed.length = 0;
    await expect(
      pipeline({
        source: { connector: source(true), config: {} },
        destination: { connector: destination(true), config: {} },
        afterLoad: [{ sql: 'select 1' }],
      }).run({ logger: silentLogger }),
    ).rejects.toThrow('source broke');
    expect(executed).toEqual([]);
  });

  it('refuses SQL steps for a destination that cannot run SQL before anything runs; a missing command is named', async () => {
    await expect(
      pipeline({
        source: { connector: source(), config: {} },
        destination: { connector: destination(false), config: {} },
        afterLoad: [{ sql: 'select 1' }],
      }).run({ logger: silentLogger }),
    ).rejects.toThrow('destination plain cannot run after_load sql: steps');
    const lines: string[] = [];
    await expect(
      pipeline({
        source: { connector: source(), config: {} },
        destination: { connector: destination(false), config: {} },
        afterLoad: [{ command: ['no-such-command-mage-int'] }],
      }).run({
        logger: createLogger({ write: (l) => lines.push(l) }),
      }),
    ).rejects.toThrow('after_load #1 (no-such-command-mage-int) could not run: no-such-command-mage-int is not found');
  });
});

describe('transforms and after_load in the pipeline file schema', () => {
  const base = { source: { name: 'faker' }, destination: { name: 'duckdb' } };
  it('accepts the three kinds and both after_load steps', () => {
    const config = parsePipelineConfig({
      ...base,
      transforms: [
        { stream_maps: { customers: { email: 'md5(email)' }, audit: '__NULL__' }, stream_map_config: { salt: 'x' } },
        { module: './t.ts', streams: ['orders'], config: { a: 1 } },
        { sql: 'select * from batch', key_properties: ['id'] },
      ],
      after_load: [{ sql: 'select 1' }, { command: ['dbt', 'build'], env: { A: 'b' } }, { command: 'make marts' }],
    });
    expect(config.transforms).toHaveLength(3);
    expect(config.after_load).toHaveLength(3);
  });
  it('refuses a step of no known kind, naming where', () => {
    expect(() => parsePipelineConfig({ ...base, transforms: [{ python: 'x.py' }] })).toThrow(
      'pipeline is invalid: transforms.0: is a step of no known kind (it needs one of: stream_maps, module, sql)',
    );
    expect(() => parsePipelineConfig({ ...base, transforms: [{ stream_maps: {}, streams: ['a'] }] })).toThrow(
      'pipeline is invalid: transforms.0: "streams" is not a known key',
    );
    expect(() => parsePipelineConfig({ ...base, after_load: [{ command: [] }] })).toThrow(
      'pipeline is invalid: after_load.0.command: must NOT have fewer than 1 items',
    );
  });
});
