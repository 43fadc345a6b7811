import { createLogger, setMetadata, type Logger, type RecordData, type SourceMessage, type State } from '@mage-int/core';
import type { StripeStandIn } from '@mage-int/testkit';
import { StripeSource, type Config } from '../src/index.js';

/** A logger that keeps every line (debug included), unredacted: what the connector itself would print. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger({ level: 'debug', write: (line) => lines.push(line) }), lines };
}

export function configFor(stripe: StripeStandIn, extra: Partial<Config> = {}): Config {
  return { api_key: stripe.apiKey, base_url: stripe.url, page_size: 10, ...extra };
}

export interface ReadResult {
  records: Record<string, RecordData[]>;
  state: State | undefined;
  messages: SourceMessage[];
}

/** Reads the given streams (INCREMENTAL on created, the default) from `state`. */
export async function readStreams(config: Config, streams: readonly string[], state?: State, logger?: Logger): Promise<ReadResult> {
  const source = new StripeSource({ config, ...(logger ? { logger } : {}) });
  const catalog = await source.discover();
  for (const stream of catalog.streams) setMetadata(stream, [], { selected: streams.includes(stream.stream) });
  const records: Record<string, RecordData[]> = {};
  const messages: SourceMessage[] = [];
  let last: State | undefined;
  for await (const message of source.read(catalog, state) as AsyncIterable<SourceMessage>) {
    messages.push(message);
    if (message.type === 'RECORD_BATCH') (records[message.stream] ??= []).push(...message.records);
    if (message.type === 'STATE') last = message.value as State;
  }
  return { records, state: last, messages };
}

export const ids = (records: RecordData[] | undefined): string[] => (records ?? []).map((r) => String(r['id']));
