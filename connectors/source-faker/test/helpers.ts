import {
  emptyState,
  setMetadata,
  silentLogger,
  type Catalog,
  type ConnectorContext,
  type RecordData,
  type SourceMessage,
  type State,
} from '@mage-int/core';
import source from '../src/index.js';
import type { FakerConfig } from '../src/index.js';

export function context(): ConnectorContext {
  return { logger: silentLogger, signal: new AbortController().signal };
}

export interface StreamChoice {
  method?: 'FULL_TABLE' | 'INCREMENTAL' | 'LOG_BASED';
  key?: string;
}

/** The discovered catalog with only `choices`' streams selected, with their replication method and key. */
export async function catalogFor(config: FakerConfig, choices: Record<string, StreamChoice>): Promise<Catalog> {
  const catalog = await source.discover(config, context());
  for (const stream of catalog.streams) {
    const choice = choices[stream.stream];
    setMetadata(stream, [], { selected: choice !== undefined });
    if (choice?.method) setMetadata(stream, [], { 'replication-method': choice.method });
    if (choice?.key) setMetadata(stream, [], { 'replication-key': choice.key });
  }
  return catalog;
}

/** Every message of one read. */
export async function readAll(config: FakerConfig, catalog: Catalog, state: State = emptyState()): Promise<SourceMessage[]> {
  const out: SourceMessage[] = [];
  for await (const message of source.read(config, catalog, state, context())) out.push(message);
  return out;
}

/** The records of a stream, in order, from RECORD_BATCH and RECORD messages. */
export function recordsOf(messages: SourceMessage[], stream: string): RecordData[] {
  const out: RecordData[] = [];
  for (const m of messages) {
    if (m.type === 'RECORD_BATCH' && m.stream === stream) out.push(...m.records);
    if (m.type === 'RECORD' && m.stream === stream) out.push(m.record);
  }
  return out;
}

export function states(messages: SourceMessage[]): State[] {
  return messages.filter((m) => m.type === 'STATE').map((m) => m.value as State);
}

export function lastState(messages: SourceMessage[]): State {
  const all = states(messages);
  const last = all[all.length - 1];
  if (!last) throw new Error('no STATE message');
  return last;
}

/** Applies records to a table keyed by id, later ones replacing earlier ones (what an upserting destination does). */
export function upsert(table: Map<number, RecordData>, records: RecordData[]): Map<number, RecordData> {
  for (const record of records) table.set(record['id'] as number, record);
  return table;
}
