import { ProtocolError } from '../errors.js';
import { parseExactJson } from './exact-json.js';
import { MessageGuard, type MessageGuardOptions } from './message-guard.js';
import type { RecordBatchMessage, SingerMessage, SourceMessage } from './messages.js';

export interface ReaderOptions extends MessageGuardOptions {
  /** Longest accepted line in bytes (default 64 MiB); longer lines are an error, not an out-of-memory. */
  maxLineBytes?: number;
}

const DEFAULT_MAX_LINE = 64 * 1024 * 1024;

/**
 * Splits a byte stream into lines (without the newline), capping line length. Yields the complete lines of
 * each chunk together, with the number of the first, so a reader pays one async step per chunk, not per line.
 */
export async function* readLineBatches(input: AsyncIterable<Uint8Array | string>, maxLineBytes = DEFAULT_MAX_LINE): AsyncGenerator<{ lines: string[]; firstLine: number }> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let lineNumber = 0;
  for await (const chunk of input) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const lines: string[] = [];
    const firstLine = lineNumber + 1;
    let start = 0;
    let newline = buf.indexOf(10, start);
    while (newline !== -1) {
      lineNumber++;
      let line: string;
      if (pendingBytes > 0) {
        pending.push(buf.subarray(start, newline));
        line = Buffer.concat(pending).toString('utf8');
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
    if (lines.length > 0) yield { lines, firstLine };
    if (start < buf.length) {
      pending.push(buf.subarray(start));
      pendingBytes += buf.length - start;
      if (pendingBytes > maxLineBytes) throw lineTooLong(lineNumber + 1, maxLineBytes);
    }
  }
  if (pendingBytes > 0) yield { lines: [Buffer.concat(pending).toString('utf8')], firstLine: lineNumber + 1 };
}

/** Splits a byte stream into lines (without the newline), capping line length. Yields [line, lineNumber]. */
export async function* readLines(input: AsyncIterable<Uint8Array | string>, maxLineBytes = DEFAULT_MAX_LINE): AsyncGenerator<[string, number]> {
  for await (const { lines, firstLine } of readLineBatches(input, maxLineBytes)) {
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

function requireField(msg: Record<string, unknown>, field: string, kind: 'string' | 'object' | 'array' | 'number', type: string, line: number): void {
  const value = msg[field];
  const ok =
    kind === 'array' ? Array.isArray(value) : kind === 'object' ? isObject(value) : kind === 'number' ? typeof value === 'number' || typeof value === 'bigint' : typeof value === kind;
  if (!ok) {
    throw new ProtocolError('MALFORMED_MESSAGE', `${type} message needs "${field}" (${kind})`, {
      line,
      stream: typeof msg['stream'] === 'string' ? msg['stream'] : undefined,
    });
  }
}

/**
 * Parses one line into a Singer message. Returns undefined for blank lines and unknown message types,
 * which Singer readers pass over. `type` is matched case-insensitively.
 */
export function parseSingerLine(line: string, lineNumber: number): SingerMessage | undefined {
  if (line.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = parseExactJson(line);
  } catch (error) {
    throw new ProtocolError('MALFORMED_JSON', `invalid JSON (${(error as Error).message}): ${line.length > 80 ? line.slice(0, 77) + '...' : line}`, {
      line: lineNumber,
      hint: 'every line of Singer input must be one complete JSON object',
    });
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
export async function* readSingerMessages(input: AsyncIterable<Uint8Array | string>, options: ReaderOptions = {}): AsyncGenerator<SingerMessage> {
  const guard = new MessageGuard(options);
  for await (const { lines, firstLine } of readLineBatches(input, options.maxLineBytes)) {
    for (let i = 0; i < lines.length; i++) {
      const message = parseSingerLine(lines[i] as string, firstLine + i);
      if (message && guard.check(message, firstLine + i) === 'pass') yield message;
    }
  }
}

/**
 * readSingerMessages for an in-process consumer: consecutive RECORD lines of one stream (same version and
 * time_extracted) that arrive in one chunk become one RECORD_BATCH, so the destination pays one async step
 * per chunk rather than per record. Everything else, and every check, is as in readSingerMessages.
 */
export async function* readSourceMessages(input: AsyncIterable<Uint8Array | string>, options: ReaderOptions = {}): AsyncGenerator<SourceMessage> {
  const guard = new MessageGuard(options);
  for await (const { lines, firstLine } of readLineBatches(input, options.maxLineBytes)) {
    let batch: RecordBatchMessage | undefined;
    for (let i = 0; i < lines.length; i++) {
      const message = parseSingerLine(lines[i] as string, firstLine + i);
      if (!message || guard.check(message, firstLine + i) !== 'pass') continue;
      if (message.type === 'RECORD') {
        if (batch && batch.stream === message.stream && batch.version === message.version && batch.time_extracted === message.time_extracted) {
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
  }
}
