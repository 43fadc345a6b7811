import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Decimal, type SourceMessage } from '@mage-int/core';
import { __CLASS__ } from '../src/index.js';
import { startFakeApi, type FakeApi } from './testkit.config.js';

let api: FakeApi;
beforeEach(async () => {
  api = await startFakeApi();
});
afterEach(() => api.close());

async function* input(): AsyncGenerator<SourceMessage> {
  yield {
    type: 'SCHEMA',
    stream: 'events',
    key_properties: [],
    schema: { type: 'object', properties: { n: { type: 'integer' }, amount: { type: 'number' } } },
  };
  yield {
    type: 'RECORD_BATCH',
    stream: 'events',
    records: Array.from({ length: 25 }, (_, i) => ({ n: i, amount: new Decimal('12345678901234567890.123456789') })),
  };
  yield { type: 'STATE', value: { bookmarks: { events: { replication_key_value: 24 } } } };
  yield { type: 'RECORD', stream: 'events', record: { n: 25, amount: 9007199254740993n } };
}

describe('writing', () => {
  it('sends batches of batch_size_rows and yields the STATE once they were accepted', async () => {
    const destination = new __CLASS__({ config: { base_url: api.url, api_key: api.apiKey, batch_size_rows: 10 } });
    const states: unknown[] = [];
    for await (const state of destination.write(input())) {
      states.push(state.value);
      expect(api.tables.get('events')?.size).toBe(25); // everything before the STATE is stored
    }
    expect(states).toEqual([{ bookmarks: { events: { replication_key_value: 24 } } }]);
    expect(api.tables.get('events')?.size).toBe(26); // the tail after the last STATE is flushed at the end
    expect(api.batches).toBe(4); // 10 + 10 + 5 at the STATE, then 1
  });

  it('keeps big integers and decimals exact on the wire', async () => {
    const destination = new __CLASS__({ config: { base_url: api.url, api_key: api.apiKey } });
    for await (const _ of destination.write(input())) void _;
    const wire = api.bodies.join('\n');
    expect(wire).toContain('"amount":12345678901234567890.123456789');
    expect(wire).toContain('"amount":9007199254740993');
  });

  it('appends instead of upserting when the pipeline asks for it', async () => {
    const destination = new __CLASS__({ config: { base_url: api.url, api_key: api.apiKey } });
    async function* twice(): AsyncGenerator<SourceMessage> {
      yield {
        type: 'SCHEMA',
        stream: 'users',
        key_properties: ['id'],
        schema: { type: 'object', properties: { id: { type: 'integer' } } },
      };
      yield { type: 'RECORD', stream: 'users', record: { id: 1 } };
      yield { type: 'RECORD', stream: 'users', record: { id: 1 } };
    }
    for await (const _ of destination.write(twice(), { users: { conflictMethod: 'append' } })) void _;
    expect(api.tables.get('users')?.size).toBe(2);
  });

  it('fails with a clear error when the API key is wrong', async () => {
    const destination = new __CLASS__({ config: { base_url: api.url, api_key: 'wrong', max_retries: 0 } });
    await expect(destination.check()).resolves.toMatchObject({ ok: false, message: expect.stringMatching(/HTTP 401/) });
  });
});
