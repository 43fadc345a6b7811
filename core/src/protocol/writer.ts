import type { Writable } from 'node:stream';
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
  let out: Buffer | undefined;
  let used = 0;
  for (const record of message.records) {
    const line = prefix + stringifyRecord(record) + suffix;
    // Sized from the first line, with room to spare; UTF-8 takes at most 3 bytes per UTF-16 unit.
    out ??= Buffer.allocUnsafe(Math.ceil(line.length * message.records.length * 1.25) + line.length * 3);
    if (used + line.length * 3 > out.length) {
      const bigger = Buffer.allocUnsafe(Math.max(out.length * 2, used + line.length * 3));
      out.copy(bigger, 0, 0, used);
      out = bigger;
    }
    used += out.write(line, used);
  }
  return out ? out.subarray(0, used) : Buffer.alloc(0);
}

/**
 * Writes messages as Singer lines with backpressure. The next message is prepared while the one before is
 * still being flushed (at most one waits): a reader on the other end of a pipe then never runs dry while this
 * side encodes, which a wait for 'drain' after every write would cause.
 */
export async function writeSingerMessages(messages: AsyncIterable<SourceMessage>, output: Writable): Promise<void> {
  let inFlight: Promise<void> | undefined;
  for await (const message of messages) {
    const bytes = encodeSingerMessage(message);
    const flushed = new Promise<void>((resolve, reject) => output.write(bytes, (error) => (error ? reject(error) : resolve())));
    flushed.catch(() => {}); // awaited below; this only keeps an early failure from counting as unhandled
    if (inFlight) await inFlight;
    inFlight = flushed;
  }
  if (inFlight) await inFlight;
}
