import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setMetadata, type RecordData, type SourceMessage, type State } from '@mage-int/core';
import { __CLASS__ } from '../src/index.js';
import { sampleData, startFakeApi, type FakeApi } from './testkit.config.js';

let api: FakeApi;
beforeAll(async () => {
  api = await startFakeApi();
});
afterAll(() => api.close());

/** Reads customers; `stopAfterStates` ends the read there, as a run killed right after that commit would. */
async function readAll(source: __CLASS__, state?: State, stopAfterStates = Infinity) {
  const catalog = await source.discover();
  for (const stream of catalog.streams) setMetadata(stream, [], { selected: stream.stream === 'customers' });
  const records: RecordData[] = [];
  let last: State | undefined;
  let states = 0;
  for await (const message of source.read(catalog, state) as AsyncIterable<SourceMessage>) {
    if (message.type === 'RECORD_BATCH') records.push(...message.records);
    if (message.type === 'STATE') {
      last = message.value as State;
      if (++states >= stopAfterStates) break;
    }
  }
  return { records, state: last };
}

describe('reading customers', () => {
  it('follows every page and reads each record once', async () => {
    const source = new __CLASS__({ config: { base_url: api.url, api_key: api.apiKey, page_size: 7 } });
    const { records } = await readAll(source);
    expect(records.map((r) => r['id'])).toEqual(sampleData()['customers']?.map((r) => r['id']));
  });

  it('resumes from the bookmark: only records updated at or after it come back', async () => {
    const source = new __CLASS__({ config: { base_url: api.url, api_key: api.apiKey, page_size: 10 } });
    const first = await readAll(source);
    const bookmark = first.state?.bookmarks['customers']?.replication_key_value;
    expect(bookmark).toBe(sampleData()['customers']?.at(-1)?.['updated_at']);
    const second = await readAll(source, first.state);
    expect(second.records.length).toBeGreaterThan(0);
    expect(second.records.every((r) => String(r['updated_at']) >= String(bookmark))).toBe(true);
  });

  it('resumes an interrupted sync right after the last committed record, even inside records sharing an updated_at', async () => {
    // Pages of 4 over records that share an updated_at three at a time: pages end inside those runs.
    const source = new __CLASS__({ config: { base_url: api.url, api_key: api.apiKey, page_size: 4 } });
    const interrupted = await readAll(source, undefined, 2);
    expect(interrupted.state?.bookmarks['customers']?.['replication_key_pk']).toEqual({ id: 'cus_008' });
    const resumed = await readAll(source, interrupted.state);
    const ids = [...interrupted.records, ...resumed.records].map((r) => r['id']);
    expect(ids).toEqual(sampleData()['customers']?.map((r) => r['id']));
  });

  it('starts at start_date on a first sync', async () => {
    const start = sampleData()['customers']?.[20]?.['updated_at'] as string;
    const source = new __CLASS__({ config: { base_url: api.url, api_key: api.apiKey, start_date: start } });
    const { records } = await readAll(source);
    expect(records.length).toBeGreaterThan(0);
    expect(records.every((r) => String(r['updated_at']) >= start)).toBe(true);
  });
});
