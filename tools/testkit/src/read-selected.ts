import { createLogger, setMetadata, type Catalog, type Logger, type RecordData, type SourceMessage, type State } from '@mage-int/core';
import { collectMessages } from './source-messages.js';

/** What a source client read: records per stream, the last STATE and every message. */
export interface SelectedRead {
  records: Record<string, RecordData[]>;
  state: State | undefined;
  messages: SourceMessage[];
}

/** A source's programmatic client (`new StripeSource({config})`): discovery and read. */
export interface SourceClientLike {
  discover(): Promise<Catalog>;
  read(catalog?: Catalog, state?: State): AsyncIterable<SourceMessage>;
}

/** Discovers, selects only `streams` (each with its default replication) and reads them from `state`. */
export async function readSelected(client: SourceClientLike, streams: readonly string[], state?: State): Promise<SelectedRead> {
  const catalog = await client.discover();
  for (const stream of catalog.streams) setMetadata(stream, [], { selected: streams.includes(stream.stream) });
  const messages = await collectMessages(client.read(catalog, state));
  const records: Record<string, RecordData[]> = {};
  let last: State | undefined;
  for (const message of messages) {
    if (message.type === 'RECORD_BATCH') (records[message.stream] ??= []).push(...message.records);
    if (message.type === 'STATE') last = message.value as State;
  }
  return { records, state: last, messages };
}

/** A logger that keeps every line (debug included), unredacted: what a connector itself would print. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger({ level: 'debug', write: (line) => lines.push(line) }), lines };
}
