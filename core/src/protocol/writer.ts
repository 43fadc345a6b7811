import type { Writable } from 'node:stream';
import { stringifyExactJson, stringifyRecord } from './exact-json.js';
import { recordsDecoded } from './lazy-records.js';
import type { RecordData, SourceMessage } from './messages.js';

/** Lines gathered into one string before they are encoded into the output buffer (UTF-16 units). */
const TEXT_UNITS = 32 * 1024;

/**
 * The wire bytes of one message, newline-terminated. A RECORD_BATCH is encoded straight into one buffer, a few
 * dozen lines at a time: no joined string of the whole batch to build and flatten, and one native write per
 * ~32K characters instead of one per record.
 */
export function encodeSingerMessage(message: SourceMessage): Buffer {
  if (message.type !== 'RECORD_BATCH') return Buffer.from(stringifyExactJson(message) + '\n');
  const { stream, version, time_extracted, records } = message;
  const prefix = `{"type":"RECORD","stream":${JSON.stringify(stream)},"record":`;
  const suffix = `${version !== undefined ? `,"version":${version}` : ''}${time_extracted ? `,"time_extracted":${JSON.stringify(time_extracted)}` : ''}}\n`;
  const native = message.native;
  // Records never decoded are written from the rows they would be decoded from (the same JSON, without the objects).
  if (native && !recordsDecoded(records)) {
    if (native.jsonBytes) return native.jsonBytes(native.data, prefix, suffix);
    if (native.jsonLines) return writeTexts(native.jsonLines(native.data, prefix, suffix));
  }
  let out: Buffer | undefined;
  let used = 0;
  for (let i = 0; i < records.length; ) {
    let text = '';
    do text += prefix + stringifyRecord(records[i++] as RecordData) + suffix;
    while (i < records.length && text.length < TEXT_UNITS);
    // Sized from the first lines, with room to spare; UTF-8 takes at most 3 bytes per UTF-16 unit.
    out ??= Buffer.allocUnsafe(Math.ceil((text.length / i) * records.length * 1.25) + text.length * 3);
    if (used + text.length * 3 > out.length) {
      const bigger = Buffer.allocUnsafe(Math.max(out.length * 2, used + text.length * 3));
      out.copy(bigger, 0, 0, used);
      out = bigger;
    }
    used += out.write(text, used);
  }
  return out ? out.subarray(0, used) : Buffer.alloc(0);
}

/** Strings one after the other as UTF-8, in one buffer of exactly their size. */
function writeTexts(texts: readonly string[]): Buffer {
  let bytes = 0;
  for (const text of texts) bytes += Buffer.byteLength(text);
  const out = Buffer.allocUnsafe(bytes);
  let used = 0;
  for (const text of texts) used += out.write(text, used);
  return out;
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
