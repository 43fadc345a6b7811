import type { RecordData } from '@mage-int/core';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import type { TextParser } from './text-values.js';

/** A column of a COPY result: its record field and how its text is parsed. */
export interface RowColumn {
  name: string;
  parse: TextParser;
}

const ESCAPES: Record<string, string> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** Undoes COPY text escaping (`\\`, `\n`, `\t`, octal `\123`, hex `\x4a`). */
export function unescapeCopyText(text: string): string {
  return text.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/g, (_m, seq: string) => {
    if (seq[0] === 'x' && seq.length > 1) return String.fromCharCode(parseInt(seq.slice(1), 16));
    if (/^[0-7]/.test(seq)) return String.fromCharCode(parseInt(seq, 8));
    return ESCAPES[seq] ?? seq;
  });
}

/** Decodes one field that may be NULL (`\N`) or escaped. */
function slowField(text: string, parse: TextParser): unknown {
  if (text === '\\N') return null;
  return parse(text.includes('\\') ? unescapeCopyText(text) : text);
}

/** Turns one COPY text line into a record. */
export type LineDecoder = (line: string) => RecordData;

/**
 * Compiles a decoder for a column list: one function that builds the record as an object literal, so every
 * record shares one shape and no per-field loop runs. Lines without a backslash (no NULL, no escape) take
 * the direct path.
 */
export function compileLineDecoder(columns: readonly RowColumn[]): LineDecoder {
  const fast = columns.map((c, i) => `${JSON.stringify(c.name)}: p${i}(f[${i}])`).join(', ');
  const slow = columns.map((c, i) => `${JSON.stringify(c.name)}: s(f[${i}], p${i})`).join(', ');
  const hoist = columns.map((_c, i) => `const p${i} = p[${i}];`).join(' ');
  const source = `${hoist} return function decodeLine(line) { const f = line.split('\t'); if (line.indexOf('\\\\') === -1) return { ${fast} }; return { ${slow} }; };`;
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- keys are JSON-quoted column names, nothing else is spliced in
  return new Function('p', 's', source)(
    columns.map((c) => c.parse),
    slowField,
  ) as LineDecoder;
}

/** Builds a record from one COPY text line (uncompiled; see compileLineDecoder). */
export function decodeCopyLine(line: string, columns: readonly RowColumn[]): RecordData {
  const fields = line.split('\t');
  const record: RecordData = {};
  for (let i = 0; i < columns.length; i++) record[columns[i]!.name] = slowField(fields[i]!, columns[i]!.parse);
  return record;
}

/**
 * Runs `COPY (<select>) TO STDOUT` and yields its rows as records, `batchSize` at a time. COPY streams rows
 * without a round trip per page, and TCP backpressure pauses the server while the consumer is busy.
 */
export async function* copyRows(client: pg.Client, select: string, columns: readonly RowColumn[], batchSize: number, signal?: AbortSignal): AsyncGenerator<RecordData[]> {
  const stream = client.query(copyStreams.to(`COPY (${select}) TO STDOUT`));
  const onAbort = () => stream.destroy(signal?.reason instanceof Error ? signal.reason : new Error('cancelled'));
  signal?.addEventListener('abort', onAbort, { once: true });
  let leftover: Buffer | undefined;
  let batch: RecordData[] = [];
  const decode = compileLineDecoder(columns);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let buf = leftover ? Buffer.concat([leftover, chunk]) : chunk;
      const last = buf.lastIndexOf(10);
      if (last < 0) {
        leftover = buf;
        continue;
      }
      leftover = last + 1 < buf.length ? buf.subarray(last + 1) : undefined;
      const text = buf.toString('utf8', 0, last);
      buf = chunk; // release the concatenation early
      let start = 0;
      for (;;) {
        const end = text.indexOf('\n', start);
        const line = end < 0 ? text.slice(start) : text.slice(start, end);
        batch.push(decode(line));
        if (batch.length >= batchSize) {
          yield batch;
          batch = [];
        }
        if (end < 0) break;
        start = end + 1;
      }
    }
    if (leftover && leftover.length > 0) throw new Error('COPY output ended in the middle of a row');
    if (batch.length > 0) yield batch;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!stream.destroyed) stream.destroy();
  }
}
