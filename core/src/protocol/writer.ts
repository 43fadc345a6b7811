import type { Writable } from 'node:stream';
import { once } from 'node:events';
import { stringifyExactJson, stringifyRecord } from './exact-json.js';
import type { SourceMessage } from './messages.js';

/** The wire lines (without newlines) of one message; a RECORD_BATCH becomes one RECORD line per record. */
export function formatSingerLines(message: SourceMessage): string[] {
  if (message.type !== 'RECORD_BATCH') return [stringifyExactJson(message)];
  // One envelope for the whole batch; only the record itself is serialised per line.
  const { stream, version, time_extracted } = message;
  const prefix = `{"type":"RECORD","stream":${JSON.stringify(stream)},"record":`;
  const suffix = `${version !== undefined ? `,"version":${version}` : ''}${time_extracted ? `,"time_extracted":${JSON.stringify(time_extracted)}` : ''}}`;
  return message.records.map((record) => prefix + stringifyRecord(record) + suffix);
}

/** Writes messages as Singer lines, waiting for 'drain' when the stream is full (backpressure). */
export async function writeSingerMessages(messages: AsyncIterable<SourceMessage>, output: Writable): Promise<void> {
  for await (const message of messages) {
    const text = formatSingerLines(message).join('\n') + '\n';
    if (!output.write(text)) await once(output, 'drain');
  }
}
