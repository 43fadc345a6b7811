import type { Writable } from 'node:stream';
import { once } from 'node:events';
import { stringifyExactJson, stringifyRecord } from './exact-json.js';
import type { SourceMessage } from './messages.js';

/**
 * The wire bytes of one message, newline-terminated. A RECORD_BATCH is encoded line by line straight into one
 * buffer: no joined string of the whole batch to build and flatten before it is encoded again.
 */
export function encodeSingerMessage(message: SourceMessage): Buffer {
  if (message.type !== 'RECORD_BATCH') return Buffer.from(stringifyExactJson(message) + '\n');
  const { stream, version, time_extracted } = message;
  const prefix = `{"type":"RECORD","stream":${JSON.stringify(stream)},"record":`;
  const suffix = `${version !== undefined ? `,"version":${version}` : ''}${time_extracted ? `,"time_extracted":${JSON.stringify(time_extracted)}` : ''}}\n`;
  let out = Buffer.allocUnsafe(64 * 1024);
  let used = 0;
  for (const record of message.records) {
    const line = prefix + stringifyRecord(record) + suffix;
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    if (used + line.length * 3 > out.length) {
      const bigger = Buffer.allocUnsafe(Math.max(out.length * 2, used + line.length * 3));
      out.copy(bigger, 0, 0, used);
      out = bigger;
    }
    used += out.write(line, used);
  }
  return out.subarray(0, used);
}

/** Writes messages as Singer lines, waiting for 'drain' when the stream is full (backpressure). */
export async function writeSingerMessages(messages: AsyncIterable<SourceMessage>, output: Writable): Promise<void> {
  for await (const message of messages) {
    if (!output.write(encodeSingerMessage(message))) await once(output, 'drain');
  }
}
