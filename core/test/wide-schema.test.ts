import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  buildCatalogStream,
  defineDestination,
  defineSource,
  pipeline,
  silentLogger,
  type JsonSchema,
  type RecordData,
  type SourceMessage,
} from '../src/index.js';

// Schemas with thousands of columns (wide exports, EAV pivots) once crashed record validation at ~1,400.
const WIDTH = 5_000;
const properties: Record<string, JsonSchema> = { id: { type: 'integer' } };
for (let i = 1; i < WIDTH; i++)
  properties[`col_${i}`] = i % 2 === 0 ? { type: ['null', 'integer'] } : { type: ['null', 'string'], format: 'date-time' };
const schema: JsonSchema = { type: 'object', properties };

function row(id: number): RecordData {
  const record: RecordData = { id };
  for (let i = 1; i < WIDTH; i++) record[`col_${i}`] = i % 2 === 0 ? i * id : '2024-05-01T10:00:00Z';
  return record;
}

function wideSource(records: RecordData[]) {
  return defineSource<Record<string, never>>({
    kind: 'source',
    name: 'wide',
    spec: { type: 'object' },
    check: async () => ({ ok: true }),
    discover: async () => ({ streams: [buildCatalogStream({ stream: 'wide', schema, keyProperties: ['id'] })] }),
    async *read() {
      yield { type: 'SCHEMA', stream: 'wide', schema, key_properties: ['id'] };
      yield { type: 'RECORD_BATCH', stream: 'wide', records };
      yield { type: 'STATE', value: { bookmarks: { wide: { done: true } } } };
    },
  });
}

const counting = (seen: { records: number }) =>
  defineDestination<Record<string, never>>({
    kind: 'destination',
    name: 'count',
    spec: { type: 'object' },
    check: async () => ({ ok: true }),
    async *write(_config, messages) {
      for await (const message of messages as AsyncIterable<SourceMessage>) {
        if (message.type === 'RECORD_BATCH') seen.records += message.records.length;
        if (message.type === 'STATE') yield message;
      }
    },
  });

describe(`records of a ${WIDTH.toLocaleString('en')}-property schema`, () => {
  it('validate in process (validateRecords) without exhausting the stack', async () => {
    const seen = { records: 0 };
    await pipeline({
      source: { connector: wideSource([row(1), row(2)]), config: {} },
      destination: { connector: counting(seen), config: {} },
      validateRecords: true,
    }).run({ logger: silentLogger });
    expect(seen.records).toBe(2);
  });

  it('that do not fit fail naming the stream, the record and the field', async () => {
    const bad = row(7);
    bad['col_4321'] = 'not a date';
    const run = pipeline({
      source: { connector: wideSource([row(1), bad]), config: {} },
      destination: { connector: counting({ records: 0 }), config: {} },
      validateRecords: true,
    }).run({ logger: silentLogger });
    await expect(run).rejects.toThrow('stream "wide", record {"id":7}, field "col_4321": must match format "date-time", got "not a date"');
  });

  it('validate in a Singer target reading them on stdin', () => {
    const target = fileURLToPath(new URL('./fixtures/target-null.mjs', import.meta.url));
    const config = join(mkdtempSync(join(tmpdir(), 'mage-wide-')), 'config.json');
    writeFileSync(config, '{}');
    const bad = row(3);
    bad['col_4998'] = 'many';
    const lines = [
      JSON.stringify({ type: 'SCHEMA', stream: 'wide', schema, key_properties: ['id'] }),
      JSON.stringify({ type: 'RECORD', stream: 'wide', record: row(1) }),
      JSON.stringify({ type: 'RECORD', stream: 'wide', record: row(2) }),
      JSON.stringify({ type: 'STATE', value: { done: 2 } }),
    ];
    const good = spawnSync(process.execPath, [target, '--config', config], { input: lines.join('\n') + '\n', encoding: 'utf8' });
    expect(good.stderr).toBe('');
    expect(good).toMatchObject({ status: 0, stdout: '{"done":2}\n' });
    const failed = spawnSync(process.execPath, [target, '--config', config], {
      input: [...lines, JSON.stringify({ type: 'RECORD', stream: 'wide', record: bad })].join('\n') + '\n',
      encoding: 'utf8',
    });
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain('line 5, stream "wide", record {"id":3}, field "col_4998": must be null or integer, got "many"');
  });
});
