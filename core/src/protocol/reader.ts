import { isUtf8 } from 'node:buffer';
import { ProtocolError } from '../errors.js';
import { parseExactJson } from './exact-json.js';
import { MessageGuard, type MessageGuardOptions } from './message-guard.js';
import { lazyRecords } from './lazy-records.js';
import type { RecordBatchMessage, RecordData, SingerMessage, SourceMessage } from './messages.js';

/** What a reader does with bytes that are not UTF-8: stop with their place (`fail`), or put U+FFFD for them (`replace`). */
export type InvalidUtf8 = 'fail' | 'replace';

export interface ReaderOptions extends MessageGuardOptions {
  /** Longest accepted line in bytes (default 64 MiB); longer lines are an error, not an out-of-memory. */
  maxLineBytes?: number;
  /** Singer input must be UTF-8 (JSON is); default `fail`, so bad bytes never turn silently into U+FFFD in the data. */
  invalidUtf8?: InvalidUtf8;
  /**
   * readSourceMessages: RECORD lines in the compact form mage-int's taps write (`recordEnvelope`) become RECORD_BATCH
   * messages that carry the lines (`RecordBatchMessage.lines`), their records parsed and checked only when read.
   */
  recordLines?: boolean;
}

const DEFAULT_MAX_LINE = 64 * 1024 * 1024;

/** Chunks of whole lines whose lines were scanned for inexact number literals already (`inexactLines`), with the marks. */
const scannedChunks = new WeakMap<Uint8Array, Uint8Array>();

/**
 * Records that `chunk` (whole lines, each ending in a newline) was scanned with `inexactLines`: its lines marked 0
 * are then parsed with JSON.parse alone. The stdin reader thread scans what it reads, off the parsing thread.
 */
export function withInexactLines(chunk: Buffer, marks: Uint8Array): Buffer {
  scannedChunks.set(chunk, marks);
  return chunk;
}

/**
 * Splits a byte stream into lines (without the newline), capping line length. Yields the complete lines of
 * each chunk together, with the number of the first, so a reader pays one async step per chunk, not per line.
 * With `invalidUtf8: 'fail'` a line holding bytes that are not UTF-8 is an error naming the line and the byte offset
 * (in the input and in the line); `replace` (the default here, for logs) decodes them as U+FFFD.
 */
export async function* readLineBatches(
  input: AsyncIterable<Uint8Array | string>,
  maxLineBytes = DEFAULT_MAX_LINE,
  invalidUtf8: InvalidUtf8 = 'replace',
): AsyncGenerator<{ lines: string[]; firstLine: number; inexact?: Uint8Array }> {
  const strict = invalidUtf8 === 'fail';
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let lineNumber = 0;
  /** Input offset of the first byte of the current chunk. */
  let chunkOffset = 0;
  for await (const chunk of input) {
    const buf =
      typeof chunk === 'string'
        ? Buffer.from(chunk)
        : Buffer.isBuffer(chunk)
          ? chunk
          : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const lines: string[] = [];
    const firstLine = lineNumber + 1;
    // Marks of a scanned chunk apply line for line when the chunk starts a line and ends one.
    const marks = pendingBytes === 0 && buf[buf.length - 1] === 10 ? scannedChunks.get(chunk as Uint8Array) : undefined;
    let start = 0;
    let newline = buf.indexOf(10, start);
    // A newline byte never occurs inside a multi-byte character, so the complete lines of a chunk are checked in
    // one native call; a line continued from the last chunk (a character may straddle the two) when it is joined.
    // The lines before a bad one still go out: what they hold may be committed before the error stops the reader.
    let failure: ProtocolError | undefined;
    if (strict && newline !== -1) {
      const from = pendingBytes > 0 ? newline + 1 : 0;
      const to = buf.lastIndexOf(10);
      if (from < to && !isUtf8(buf.subarray(from, to)))
        failure = invalidUtf8Error(buf, from, to, lineNumber + (pendingBytes > 0 ? 2 : 1), chunkOffset, 0);
    }
    while (newline !== -1) {
      lineNumber++;
      if (failure?.line === lineNumber) {
        if (lines.length > 0) yield { lines, firstLine };
        throw failure;
      }
      let line: string;
      if (pendingBytes > 0) {
        pending.push(buf.subarray(start, newline));
        const joined = Buffer.concat(pending);
        if (strict && !isUtf8(joined))
          throw invalidUtf8Error(joined, 0, joined.length, lineNumber, chunkOffset - (joined.length - newline), 0);
        // (The joined line is the first of its chunk: no line before it waits to go out.)
        line = joined.toString('utf8');
        pending = [];
        pendingBytes = 0;
      } else {
        line = buf.toString('utf8', start, newline);
      }
      if (line.length > maxLineBytes) throw lineTooLong(lineNumber, maxLineBytes);
      lines.push(line);
      start = newline + 1;
      newline = buf.indexOf(10, start);
    }
    if (lines.length > 0) yield marks?.length === lines.length ? { lines, firstLine, inexact: marks } : { lines, firstLine };
    if (start < buf.length) {
      pending.push(buf.subarray(start));
      pendingBytes += buf.length - start;
      if (pendingBytes > maxLineBytes) throw lineTooLong(lineNumber + 1, maxLineBytes);
    }
    chunkOffset += buf.length;
  }
  if (pendingBytes > 0) {
    const last = Buffer.concat(pending);
    if (strict && !isUtf8(last)) throw invalidUtf8Error(last, 0, last.length, lineNumber + 1, chunkOffset - last.length, 0);
    yield { lines: [last.toString('utf8')], firstLine: lineNumber + 1 };
  }
}

/**
 * The error for the first invalid byte in `bytes[from, to)`, whose first byte is at input offset `offset + from`
 * and belongs to line `line`; `carried` bytes of that line came in an earlier chunk.
 */
function invalidUtf8Error(bytes: Buffer, from: number, to: number, line: number, offset: number, carried: number): ProtocolError {
  let lineStart = from;
  let bad = from;
  let current = line;
  let inLine = carried;
  for (let i = from; i < to; ) {
    if (bytes[i] === 10) {
      current++;
      lineStart = i + 1;
      inLine = 0;
      i++;
      continue;
    }
    const size = utf8SequenceLength(bytes, i, to);
    if (size === 0) {
      bad = i;
      break;
    }
    i += size;
  }
  const column = inLine + (bad - lineStart);
  return new ProtocolError(
    'INVALID_UTF8',
    `invalid UTF-8 at byte ${offset + bad} of the input (byte ${column} of the line): 0x${(bytes[bad] ?? 0).toString(16).padStart(2, '0')}`,
    {
      line: current,
      hint: "Singer messages must be UTF-8: fix the program writing them, or set `invalid_utf8: replace` in the target's config to store U+FFFD for bad bytes",
    },
  );
}

/** The length of the valid UTF-8 sequence starting at `i` (1-4), or 0 when the bytes there are not UTF-8. */
function utf8SequenceLength(bytes: Buffer, i: number, end: number): number {
  const b = bytes[i] as number;
  if (b < 0x80) return 1;
  const [size, min, max] =
    b >= 0xc2 && b <= 0xdf
      ? [2, 0x80, 0xbf]
      : b === 0xe0
        ? [3, 0xa0, 0xbf]
        : b === 0xed
          ? [3, 0x80, 0x9f]
          : b >= 0xe1 && b <= 0xef
            ? [3, 0x80, 0xbf]
            : b === 0xf0
              ? [4, 0x90, 0xbf]
              : b === 0xf4
                ? [4, 0x80, 0x8f]
                : b >= 0xf1 && b <= 0xf3
                  ? [4, 0x80, 0xbf]
                  : [0, 0, 0];
  if (size === 0 || i + size > end) return 0;
  const second = bytes[i + 1] as number;
  if (second < min || second > max) return 0;
  for (let k = 2; k < size; k++) {
    const next = bytes[i + k] as number;
    if (next < 0x80 || next > 0xbf) return 0;
  }
  return size;
}

/** Splits a byte stream into lines (without the newline), capping line length. Yields [line, lineNumber]. */
export async function* readLines(
  input: AsyncIterable<Uint8Array | string>,
  maxLineBytes = DEFAULT_MAX_LINE,
  invalidUtf8: InvalidUtf8 = 'replace',
): AsyncGenerator<[string, number]> {
  for await (const { lines, firstLine } of readLineBatches(input, maxLineBytes, invalidUtf8)) {
    for (let i = 0; i < lines.length; i++) yield [lines[i] as string, firstLine + i];
  }
}

function lineTooLong(line: number, max: number): ProtocolError {
  return new ProtocolError('LINE_TOO_LONG', `line is longer than ${max} bytes`, {
    line,
    hint: 'a single Singer message this large is almost certainly broken input; raise maxLineBytes if it is not',
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireField(
  msg: Record<string, unknown>,
  field: string,
  kind: 'string' | 'object' | 'array' | 'number',
  type: string,
  line: number,
): void {
  const value = msg[field];
  const ok =
    kind === 'array'
      ? Array.isArray(value)
      : kind === 'object'
        ? isObject(value)
        : kind === 'number'
          ? typeof value === 'number' || typeof value === 'bigint'
          : typeof value === kind;
  if (!ok) {
    throw new ProtocolError('MALFORMED_MESSAGE', `${type} message needs "${field}" (${kind})`, {
      line,
      stream: typeof msg['stream'] === 'string' ? msg['stream'] : undefined,
    });
  }
}

/**
 * Parses one line into a Singer message. Returns undefined for blank lines and unknown message types,
 * which Singer readers pass over. `type` is matched case-insensitively. `plain` says the line was scanned already
 * and holds no number literal a double would not hold (see withInexactLines).
 */
export function parseSingerLine(line: string, lineNumber: number, plain = false): SingerMessage | undefined {
  // A message starts with its brace; only other lines need the (allocating) whitespace check.
  if (line.charCodeAt(0) !== 123 && line.trim() === '') return undefined;
  let parsed: unknown;
  try {
    // `plain`: the line holds no number a double would not hold exactly (inexactLines), JSON.parse is exact.
    parsed = plain ? JSON.parse(line) : parseExactJson(line);
  } catch (error) {
    throw new ProtocolError(
      'MALFORMED_JSON',
      `invalid JSON (${(error as Error).message}): ${line.length > 80 ? line.slice(0, 77) + '...' : line}`,
      {
        line: lineNumber,
        hint: 'every line of Singer input must be one complete JSON object',
      },
    );
  }
  if (!isObject(parsed) || typeof parsed['type'] !== 'string') {
    throw new ProtocolError('MALFORMED_MESSAGE', 'a Singer message must be a JSON object with a string "type"', { line: lineNumber });
  }
  const type = parsed['type'].toUpperCase();
  switch (type) {
    case 'SCHEMA':
      requireField(parsed, 'stream', 'string', type, lineNumber);
      requireField(parsed, 'schema', 'object', type, lineNumber);
      if (parsed['key_properties'] === undefined) parsed['key_properties'] = [];
      requireField(parsed, 'key_properties', 'array', type, lineNumber);
      break;
    case 'RECORD':
      requireField(parsed, 'stream', 'string', type, lineNumber);
      requireField(parsed, 'record', 'object', type, lineNumber);
      break;
    case 'STATE':
      if (!('value' in parsed)) throw new ProtocolError('MALFORMED_MESSAGE', 'STATE message needs "value"', { line: lineNumber });
      break;
    case 'ACTIVATE_VERSION':
      requireField(parsed, 'stream', 'string', type, lineNumber);
      requireField(parsed, 'version', 'number', type, lineNumber);
      parsed['version'] = Number(parsed['version']);
      break;
    case 'BATCH':
      requireField(parsed, 'stream', 'string', type, lineNumber);
      requireField(parsed, 'encoding', 'object', type, lineNumber);
      requireField(parsed, 'manifest', 'array', type, lineNumber);
      break;
    default:
      return undefined;
  }
  parsed['type'] = type;
  return parsed as unknown as SingerMessage;
}

/**
 * Reads Singer messages from a byte stream (a process's stdout, a file), enforcing the protocol rules.
 * Identical repeated SCHEMA messages are dropped.
 */
export async function* readSingerMessages(
  input: AsyncIterable<Uint8Array | string>,
  options: ReaderOptions = {},
): AsyncGenerator<SingerMessage> {
  const guard = new MessageGuard(options);
  for await (const { lines, firstLine, inexact } of readLineBatches(input, options.maxLineBytes, options.invalidUtf8 ?? 'fail')) {
    for (let i = 0; i < lines.length; i++) {
      const message = parseSingerLine(lines[i] as string, firstLine + i, inexact?.[i] === 0);
      if (message && guard.check(message, firstLine + i) === 'pass') yield message;
    }
  }
}

/**
 * readSingerMessages for an in-process consumer: consecutive RECORD lines of one stream (same version and
 * time_extracted) that arrive in one chunk become one RECORD_BATCH, so the destination pays one async step
 * per chunk rather than per record. Everything else, and every check, is as in readSingerMessages; with
 * `recordLines`, the batch carries the lines, and their records are parsed and checked when first read.
 */
export async function* readSourceMessages(
  input: AsyncIterable<Uint8Array | string>,
  options: ReaderOptions = {},
): AsyncGenerator<SourceMessage> {
  const guard = new MessageGuard(options);
  for await (const { lines, firstLine, inexact } of readLineBatches(input, options.maxLineBytes, options.invalidUtf8 ?? 'fail')) {
    let batch: RecordBatchMessage | undefined;
    let lined: LinedRecords | undefined;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as string;
      const envelope = options.recordLines ? recordEnvelope(line) : undefined;
      if (envelope && guard.schemaOf(envelope.stream)) {
        if (batch) yield batch;
        batch = undefined;
        if (lined && !lined.takes(envelope, firstLine + i)) {
          yield lined.message(guard);
          lined = undefined;
        }
        (lined ??= new LinedRecords(envelope, firstLine + i)).add(line, envelope.recordEnd, inexact?.[i] === 0);
        continue;
      }
      if (lined) yield lined.message(guard);
      lined = undefined;
      const message = parseSingerLine(line, firstLine + i, inexact?.[i] === 0);
      if (!message || guard.check(message, firstLine + i) !== 'pass') continue;
      if (message.type === 'RECORD') {
        if (
          batch &&
          batch.stream === message.stream &&
          batch.version === message.version &&
          batch.time_extracted === message.time_extracted
        ) {
          batch.records.push(message.record);
          continue;
        }
        if (batch) yield batch;
        batch = { type: 'RECORD_BATCH', stream: message.stream, records: [message.record] };
        if (message.version !== undefined) batch.version = message.version;
        if (message.time_extracted !== undefined) batch.time_extracted = message.time_extracted;
        continue;
      }
      if (batch) yield batch;
      batch = undefined;
      yield message;
    }
    if (batch) yield batch;
    if (lined) yield lined.message(guard);
  }
}

/** A RECORD line's envelope: its stream, version and time_extracted, and where its record object starts and ends. */
export interface RecordEnvelope {
  stream: string;
  version?: number;
  timeExtracted?: string;
  recordStart: number;
  recordEnd: number;
}

const RECORD_PREFIX = '{"type":"RECORD","stream":"';
const RECORD_KEY = '","record":{';
const VERSION_KEY = ',"version":';
const TIME_KEY = ',"time_extracted":"';

/**
 * The envelope of a RECORD line in the compact form mage-int's taps write, `{"type":"RECORD","stream":"s",
 * "record":{…}}` with `,"version":N` and then `,"time_extracted":"…"` optionally after the record; undefined for any
 * other line (parsed as usual). Read off both ends without scanning the record: a `"` that is not escaped is always
 * structure, so `},"version":N}` at the end of a line is the envelope's own key after the record (a record is
 * still checked whole by whoever reads it from the line).
 */
export function recordEnvelope(line: string): RecordEnvelope | undefined {
  if (!line.startsWith(RECORD_PREFIX)) return undefined;
  const close = line.indexOf('"', RECORD_PREFIX.length);
  if (close < 0 || !line.startsWith(RECORD_KEY, close)) return undefined;
  const stream = line.slice(RECORD_PREFIX.length, close);
  if (stream.includes('\\')) return undefined;
  let end = line.length - 1;
  if (line.charCodeAt(end) !== 125 /* } */) return undefined;
  let timeExtracted: string | undefined;
  if (line.charCodeAt(end - 1) === 34 /* " */) {
    const open = line.lastIndexOf(TIME_KEY, end - 2);
    if (open < 0) return undefined;
    timeExtracted = line.slice(open + TIME_KEY.length, end - 1);
    if (timeExtracted.includes('"') || timeExtracted.includes('\\')) return undefined;
    end = open;
  }
  let digits = end;
  while (digits > 0 && isDigit(line.charCodeAt(digits - 1))) digits--;
  let version: number | undefined;
  if (digits < end) {
    if (end - digits > 15 || !line.startsWith(VERSION_KEY, digits - VERSION_KEY.length)) return undefined;
    version = Number(line.slice(digits, end));
    end = digits - VERSION_KEY.length;
  }
  const recordStart = close + RECORD_KEY.length - 1;
  if (end <= recordStart || line.charCodeAt(end - 1) !== 125) return undefined;
  return {
    stream,
    recordStart,
    recordEnd: end,
    ...(version !== undefined ? { version } : {}),
    ...(timeExtracted !== undefined ? { timeExtracted } : {}),
  };
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Consecutive RECORD lines of one stream, version and time_extracted, gathered into one RECORD_BATCH. */
class LinedRecords {
  readonly lines: string[] = [];
  readonly recordEnds: number[] = [];
  /** Per line: it holds no number literal a double would not hold (JSON.parse alone parses it exactly). */
  readonly plain: boolean[] = [];

  constructor(
    private readonly envelope: RecordEnvelope,
    private readonly firstLine: number,
  ) {}

  takes(envelope: RecordEnvelope, line: number): boolean {
    const own = this.envelope;
    return (
      line === this.firstLine + this.lines.length &&
      envelope.stream === own.stream &&
      envelope.version === own.version &&
      envelope.timeExtracted === own.timeExtracted &&
      envelope.recordStart === own.recordStart
    );
  }

  add(line: string, recordEnd: number, plain: boolean): void {
    this.lines.push(line);
    this.recordEnds.push(recordEnd);
    this.plain.push(plain);
  }

  /** The batch, its records parsed from the lines and checked (under the stream's schema now) when first read. */
  message(guard: MessageGuard): RecordBatchMessage {
    const { stream, version, timeExtracted, recordStart } = this.envelope;
    const { lines, firstLine, plain } = this;
    // The lines' envelopes said the stream's schema is known, so there is a checker.
    const check = guard.recordChecker(stream, lines.length) as (record: RecordData, k: number, line?: number) => void;
    const decode = (k: number): RecordData => {
      const line = firstLine + k;
      const message = parseSingerLine(lines[k] as string, line, plain[k]);
      if (
        message?.type !== 'RECORD' ||
        message.stream !== stream ||
        message.version !== version ||
        message.time_extracted !== timeExtracted
      ) {
        throw new ProtocolError('MALFORMED_MESSAGE', 'a RECORD line does not read as its envelope said', { line, stream });
      }
      check(message.record, k, line);
      return message.record;
    };
    const batch: RecordBatchMessage = {
      type: 'RECORD_BATCH',
      stream,
      records: lazyRecords(lines.length, () => lines.map((_, k) => decode(k)), decode),
      lines: { lines, firstLine, recordStart, recordEnds: this.recordEnds },
    };
    if (version !== undefined) batch.version = version;
    if (timeExtracted !== undefined) batch.time_extracted = timeExtracted;
    return batch;
  }
}
