import { cursorPaginator, HttpStream, type HttpClient, type JsonSchema } from '@mage-int/core';
import type { Config } from './generated/config.js';

/** One endpoint of the API, read as one stream. */
export interface StreamDefinition {
  name: string;
  /** Path of the list endpoint, relative to base_url. */
  path: string;
  keyProperties: string[];
  /** The field the API filters on (`updated_since`) and sorts by, ascending. */
  replicationKey: string;
  schema: JsonSchema;
}

const timestamp: JsonSchema = { type: 'string', format: 'date-time' };

/** The streams this source offers. Add an entry here for each endpoint you sync. */
export const STREAMS: StreamDefinition[] = [
  {
    name: 'customers',
    path: 'v1/customers',
    keyProperties: ['id'],
    replicationKey: 'updated_at',
    schema: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        name: { type: ['null', 'string'] },
        email: { type: ['null', 'string'] },
        created_at: { ...timestamp, type: ['null', 'string'] },
        updated_at: timestamp,
      },
    },
  },
  {
    name: 'invoices',
    path: 'v1/invoices',
    keyProperties: ['id'],
    replicationKey: 'updated_at',
    schema: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        customer_id: { type: ['null', 'string'] },
        amount: { type: ['null', 'number'] },
        currency: { type: ['null', 'string'] },
        status: { type: ['null', 'string'] },
        updated_at: timestamp,
      },
    },
  },
];

/**
 * The streams as the source kit reads them: `GET <path>?limit&updated_since&cursor` answering
 * `{data: [...], next_cursor}` in (updated_at, id) order. The kit does the rest (retries, state, resume).
 */
export function httpStreams(client: HttpClient, config: Config): HttpStream[] {
  const paginator = cursorPaginator({ cursor: 'next_cursor', param: 'cursor', limit: { param: 'limit', value: config.page_size ?? 100 } });
  return STREAMS.map(
    (stream) =>
      new HttpStream(client, {
        ...stream,
        records: 'data',
        paginator,
        incremental: { param: 'updated_since' },
        orderedByReplicationKey: true,
        startValue: config.start_date,
      }),
  );
}
