import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  defineDestination,
  defineSource,
  parsePipelineConfig,
  pipeline,
  pipelineSchema,
  silentLogger,
  type PipelineDefinition,
  type RunOptions,
} from '../src/index.js';
import { DEFAULT_BUFFER_RECORDS, DEFAULT_MAX_LAG_SECONDS } from '../src/runner/run-pipeline.js';

const docs = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'pipeline-config.md'), 'utf8');
const minimal = { source: { name: 'faker' }, destination: { name: 'duckdb' } };

describe('pipeline options', () => {
  it('has one default for options.buffer_records: the schema, the runner and the docs agree', () => {
    const options = (pipelineSchema['properties'] as Record<string, { properties: Record<string, { default?: unknown }> }>)['options'];
    expect(options?.properties['buffer_records']?.default).toBe(DEFAULT_BUFFER_RECORDS);
    expect(parsePipelineConfig({ ...minimal, options: {} }).options?.buffer_records).toBe(DEFAULT_BUFFER_RECORDS);
    expect(docs).toMatch(new RegExp(`\\| \`buffer_records\` \\| \`${DEFAULT_BUFFER_RECORDS}\` \\|`));
  });
});

describe('follow mode', () => {
  const source = (seen: { follow?: boolean }) =>
    defineSource<Record<string, unknown>>({
      kind: 'source',
      name: 'cdc',
      spec: { type: 'object', properties: { follow: { type: 'boolean' } } },
      check: async () => ({ ok: true }),
      discover: async () => ({ streams: [] }),
      async *read(_config, _catalog, _state, ctx) {
        seen.follow = ctx.follow;
        yield { type: 'STATE', value: {} };
      },
    });
  const destination = (seen: { maxLagSeconds?: number }) =>
    defineDestination<Record<string, never>>({
      kind: 'destination',
      name: 'lag',
      spec: { type: 'object' },
      check: async () => ({ ok: true }),
      async *write(_config, messages, ctx) {
        seen.maxLagSeconds = ctx.maxLagSeconds;
        for await (const message of messages) if (message.type === 'STATE') yield message;
      },
    });
  async function contexts(definition: Partial<PipelineDefinition>, options: RunOptions = {}, sourceConfig: Record<string, unknown> = {}) {
    const seen: { follow?: boolean; maxLagSeconds?: number } = {};
    await pipeline({
      ...definition,
      source: { connector: source(seen), config: sourceConfig },
      destination: { connector: destination(seen), config: {} },
    }).run({ logger: silentLogger, ...options });
    return seen;
  }

  it('tells the source to follow and the destination to commit within max_lag_seconds (default 0.5)', async () => {
    expect(await contexts({})).toEqual({ follow: undefined, maxLagSeconds: undefined });
    expect(await contexts({ follow: true })).toEqual({ follow: true, maxLagSeconds: DEFAULT_MAX_LAG_SECONDS });
    expect(DEFAULT_MAX_LAG_SECONDS).toBe(0.5);
    expect(await contexts({ follow: true, maxLagSeconds: 2 })).toEqual({ follow: true, maxLagSeconds: 2 });
    expect(await contexts({}, { follow: true })).toEqual({ follow: true, maxLagSeconds: 0.5 });
    // A source whose own config asks to follow gets a destination that keeps up as well.
    expect(await contexts({}, {}, { follow: true })).toEqual({ follow: true, maxLagSeconds: 0.5 });
  });

  it('is set in a pipeline file with follow and max_lag_seconds', () => {
    const config = parsePipelineConfig({ ...minimal, follow: true, max_lag_seconds: 2.5 });
    expect(config).toMatchObject({ follow: true, max_lag_seconds: 2.5 });
    expect(parsePipelineConfig(minimal)).toMatchObject({ follow: false, max_lag_seconds: DEFAULT_MAX_LAG_SECONDS });
    expect(() => parsePipelineConfig({ ...minimal, max_lag_seconds: 0 })).toThrow('max_lag_seconds: must be > 0');
    expect(docs).toMatch(/\| `follow` \|/);
    expect(docs).toMatch(/\| `max_lag_seconds` \|/);
  });
});
