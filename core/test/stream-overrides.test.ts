import { describe, expect, it } from 'vitest';
import {
  buildCatalogStream,
  ConfigError,
  defineSource,
  keyProperties,
  parsePipelineConfig,
  pipeline,
  silentLogger,
  type Catalog,
  type SourceMessage,
} from '../src/index.js';
import { recordingDestination } from './recording-destination.js';

const schema = { properties: { id: { type: 'integer' }, name: { type: 'string' } } } as const;

/** A source of a keyless stream, like a table without a primary key or an external tap that declares none. */
function keylessSource(seen: { catalog?: Catalog }) {
  return defineSource<Record<string, never>>({
    kind: 'source',
    name: 'keyless',
    spec: { type: 'object' },
    check: async () => ({ ok: true }),
    discover: async () => ({
      streams: [buildCatalogStream({ tapStreamId: 'public-events', stream: 'events', schema, keyProperties: [] })],
    }),
    async *read(_config, catalog) {
      seen.catalog = catalog;
      yield { type: 'SCHEMA', stream: 'events', schema, key_properties: [] };
      yield { type: 'RECORD_BATCH', stream: 'events', records: [{ id: 1, name: 'a' }] };
      yield { type: 'STATE', value: {} };
    },
  });
}

describe('streams: key_properties', () => {
  it('reaches the source in the catalog and the destination in the SCHEMA', async () => {
    const seen: { catalog?: Catalog } = {};
    const seenMessages: SourceMessage[] = [];
    await pipeline({
      source: { connector: keylessSource(seen), config: {} },
      destination: { connector: recordingDestination(seenMessages), config: {} },
      streams: { 'public-events': { key_properties: ['id'], fields: ['name'] } },
    }).run({ logger: silentLogger });
    expect(keyProperties(seen.catalog!.streams[0]!)).toEqual(['id']);
    expect(seenMessages.flatMap((m) => (m.type === 'SCHEMA' ? [m.key_properties] : []))).toEqual([['id']]);
  });

  it('is checked against the stream schema: an unknown column names the stream and the column', async () => {
    const run = pipeline({
      source: { connector: keylessSource({}), config: {} },
      destination: { connector: recordingDestination([]), config: {} },
      streams: { events: { key_properties: ['id', 'event_id'] } },
    }).run({ logger: silentLogger });
    await expect(run).rejects.toThrow(ConfigError);
    await expect(run).rejects.toThrow('stream "events", field "event_id": key property "event_id" is not a column of the stream');
  });

  it('is a known key of a pipeline file', () => {
    const config = parsePipelineConfig({
      source: { name: 'postgres' },
      destination: { name: 'duckdb' },
      streams: { 'public-events': { key_properties: ['id'] } },
    });
    expect(config.streams?.['public-events']?.key_properties).toEqual(['id']);
    expect(() =>
      parsePipelineConfig({ source: { name: 'postgres' }, destination: { name: 'duckdb' }, streams: { e: { key_properties: 'id' } } }),
    ).toThrow('streams.e.key_properties: must be array');
  });
});
