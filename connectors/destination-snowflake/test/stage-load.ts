// What the external-stage tests (S3; GCS and Azure) load, and how: an `items` stream whose decimals and bigints must
// arrive exact, written through a SnowflakeDestination.
import { Decimal, silentLogger, type ConnectorContext, type SourceMessage } from '@mage-int/core';
import { SnowflakeDestination } from '../src/index.js';
import type { Config } from '../src/generated/config.js';

export const ctx = (): ConnectorContext => ({ logger: silentLogger, signal: new AbortController().signal });

/** The SCHEMA of `items`, then one record per id. */
export const messages = (ids: number[]): SourceMessage[] => [
  {
    type: 'SCHEMA',
    stream: 'items',
    schema: {
      type: 'object',
      properties: {
        id: { type: 'integer' },
        price: { type: ['null', 'number'], multipleOf: 0.01 },
        attrs: { type: ['null', 'object'] },
      },
    },
    key_properties: ['id'],
  },
  ...ids.map(
    (id): SourceMessage => ({
      type: 'RECORD',
      stream: 'items',
      record: { id, price: new Decimal(`${id}123456789012345.25`), attrs: { n: 12345678901234567890n, id } },
    }),
  ),
];

/** Writes `input` through a SnowflakeDestination configured with `config`. */
export async function load(config: Config, input: SourceMessage[]): Promise<void> {
  async function* stream() {
    yield* input;
  }
  for await (const _ of new SnowflakeDestination({ config, logger: silentLogger }).write(stream(), { streams: {} })) {
    // states are not looked at here
  }
}
