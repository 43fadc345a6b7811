import { setMetadata, type Catalog, type RecordData, type SourceMessage, type State, type StateMessage } from '@mage-int/core';

/** Selects the named streams (by stream name or tap_stream_id; all others deselected) with a replication method. */
export function selectStreams(
  catalog: Catalog,
  streams: Record<string, { method: 'FULL_TABLE' | 'INCREMENTAL' | 'LOG_BASED'; key?: string }>,
): Catalog {
  const out = structuredClone(catalog);
  for (const stream of out.streams) {
    const choice = streams[stream.stream] ?? streams[stream.tap_stream_id];
    setMetadata(stream, [], {
      selected: choice !== undefined,
      ...(choice ? { 'replication-method': choice.method } : {}),
      ...(choice?.key ? { 'replication-key': choice.key } : {}),
    });
  }
  return out;
}

/** Collects every message of a read. */
export async function collectMessages(messages: AsyncIterable<SourceMessage>): Promise<SourceMessage[]> {
  const out: SourceMessage[] = [];
  for await (const m of messages) out.push(m);
  return out;
}

/** The records of one stream, in order, from RECORD_BATCH and RECORD messages. */
export function recordsOf(messages: readonly SourceMessage[], stream: string): RecordData[] {
  const out: RecordData[] = [];
  for (const m of messages) {
    if (m.type === 'RECORD_BATCH' && m.stream === stream) out.push(...m.records);
    if (m.type === 'RECORD' && m.stream === stream) out.push(m.record);
  }
  return out;
}

/** The value of the last STATE message. */
export function lastState(messages: readonly SourceMessage[]): State {
  const states = messages.filter((m): m is StateMessage => m.type === 'STATE');
  const last = states[states.length - 1];
  if (!last) throw new Error('no STATE message');
  return last.value as State;
}
