import {
  ConnectorError,
  getBookmark,
  replicationKey,
  replicationMethod,
  selectedFields,
  setBookmark,
  setCurrentlySyncing,
  type CatalogStream,
  type RecordData,
  type SourceMessage,
  type State,
} from '@mage-int/core';
import type { HttpClient } from './http-client.js';
import type { StreamDefinition } from './streams.js';

/** One page of a list endpoint: `{data: [...], next_cursor: string | null}`. */
interface Page {
  data: RecordData[];
  next_cursor: string | null;
}

function asPage(body: unknown, path: string): Page {
  const page = body as Partial<Page> | null;
  if (!page || !Array.isArray(page.data) || (page.next_cursor !== null && page.next_cursor !== undefined && typeof page.next_cursor !== 'string')) {
    throw new ConnectorError('UNEXPECTED_RESPONSE', `GET ${path} did not answer {data: [...], next_cursor}`, { hint: 'is base_url the API root?' });
  }
  return { data: page.data, next_cursor: page.next_cursor ?? null };
}

/** The later of two ISO timestamps (by instant, keeping the original text). */
function later(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Date.parse(b) > Date.parse(a) || (Date.parse(b) === Date.parse(a) && b > a) ? b : a;
}

export interface ReadStreamOptions {
  client: HttpClient;
  definition: StreamDefinition;
  stream: CatalogStream;
  pageSize: number;
  startDate?: string;
  signal: AbortSignal;
}

/**
 * Reads one stream page by page. INCREMENTAL asks the API for records updated at or after the bookmark
 * (the API sorts by updated_at ascending) and emits the full state after each page, so an interrupted sync
 * resumes from the last page the destination committed. Records equal to the bookmark are read again
 * (at-least-once); destinations upsert them by key.
 */
export async function* readStream(options: ReadStreamOptions, state: State): AsyncGenerator<SourceMessage, State> {
  const { client, definition, stream, pageSize } = options;
  const incremental = replicationMethod(stream) === 'INCREMENTAL';
  const key = replicationKey(stream) ?? definition.replicationKey;
  const fields = selectedFields(stream);
  const bookmark = getBookmark(state, stream.tap_stream_id).replication_key_value;
  const since = incremental && typeof bookmark === 'string' ? bookmark : options.startDate;

  let current = setCurrentlySyncing(state, stream.tap_stream_id);
  yield { type: 'SCHEMA', stream: stream.stream, schema: { ...stream.schema, properties: Object.fromEntries(fields.map((f) => [f, stream.schema.properties?.[f] ?? {}])) }, key_properties: definition.keyProperties, ...(incremental ? { bookmark_properties: [key] } : {}) };
  let cursor: string | undefined;
  let max = incremental && typeof bookmark === 'string' ? bookmark : undefined;
  do {
    options.signal.throwIfAborted();
    const page = asPage(await client.getJson(definition.path, { limit: pageSize, updated_since: since, cursor }), definition.path);
    if (page.data.length > 0) {
      const records = page.data.map((row) => Object.fromEntries(fields.map((f) => [f, row[f] ?? null])));
      for (const record of records) {
        const value = record[key];
        if (typeof value === 'string') max = later(max, value);
      }
      yield { type: 'RECORD_BATCH', stream: stream.stream, records, time_extracted: new Date().toISOString() };
      if (incremental && max !== undefined) {
        current = setBookmark(current, stream.tap_stream_id, { replication_key: key, replication_key_value: max });
        yield { type: 'STATE', value: current };
      }
    }
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  current = setCurrentlySyncing(current, null);
  yield { type: 'STATE', value: current };
  return current;
}
