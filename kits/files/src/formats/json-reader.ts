import { parseExactJson, readLineBatches } from '@mage-int/core';
import { FileDataError } from '../file-errors.js';
import { decodeText, type RawRow } from './raw-row.js';

function asObject(value: unknown, file: string, line: number): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new FileDataError(
      'JSON_NOT_AN_OBJECT',
      `expected a JSON object, found ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`,
      { file, line },
      { hint: 'each line (JSON Lines) or array element (JSON) must be an object: one record' },
    );
  }
  return value as Record<string, unknown>;
}

function parse(text: string, file: string, line: number): Record<string, unknown> {
  try {
    return asObject(parseExactJson(text), file, line);
  } catch (error) {
    if (error instanceof FileDataError) throw error;
    throw new FileDataError('JSON_MALFORMED', (error as Error).message, { file, line }, { cause: error });
  }
}

/** The objects of a JSON Lines file, one per non-empty line, numbers exact (big integers and decimals keep every digit). */
export async function* readJsonLines(input: AsyncIterable<Uint8Array>, file: string): AsyncGenerator<RawRow[]> {
  try {
    for await (const { lines, firstLine } of readLineBatches(input, 512 * 1024 * 1024, 'fail')) {
      const batch: RawRow[] = [];
      for (let i = 0; i < lines.length; i++) {
        const text = (lines[i] as string).replace(/^\uFEFF/, '');
        if (text.trim() === '') continue;
        batch.push({ values: parse(text, file, firstLine + i), line: firstLine + i });
      }
      if (batch.length > 0) yield batch;
    }
  } catch (error) {
    if (error instanceof FileDataError) throw error;
    const e = error as Error & { line?: number };
    throw new FileDataError('FILE_ENCODING', e.message, { file, ...(e.line === undefined ? {} : { line: e.line }) }, { cause: error });
  }
}

/**
 * The elements of a JSON file holding an array of objects (or one object), streamed: a scanner finds where each
 * element ends (strings and nesting respected), so only one element is held at a time. `line` is the line an
 * element starts on.
 */
export async function* readJsonArray(input: AsyncIterable<Uint8Array>, file: string): AsyncGenerator<RawRow[]> {
  for await (const chunkRows of jsonArrayChunks(input, file)) if (chunkRows.length > 0) yield chunkRows;
}

/** The elements found in each decoded chunk of the file. */
async function* jsonArrayChunks(input: AsyncIterable<Uint8Array>, file: string): AsyncGenerator<RawRow[]> {
  let state = 'start' as 'start' | 'between' | 'element' | 'end';
  let single = false;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let line = 1;
  let startLine = 1;
  let element = '';
  for await (const chunk of decodeText(input, 'utf-8')) {
    const rows: RawRow[] = [];
    let from = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c === 10) line++;
      if (state === 'element') {
        if (inString) {
          if (escaped) escaped = false;
          else if (c === 92) escaped = true;
          else if (c === 34) inString = false;
          continue;
        }
        if (c === 34) inString = true;
        else if (c === 123 || c === 91) depth++;
        else if (c === 125 || c === 93) {
          if (depth === 0) {
            // The array's closing bracket right after an element (no comma).
            element += chunk.slice(from, i);
            rows.push({ values: parse(element, file, startLine), line: startLine });
            element = '';
            state = 'end';
            continue;
          }
          depth--;
          if (depth === 0 && single) {
            element += chunk.slice(from, i + 1);
            rows.push({ values: parse(element, file, startLine), line: startLine });
            element = '';
            state = 'end';
          }
        } else if (c === 44 && depth === 0) {
          element += chunk.slice(from, i);
          rows.push({ values: parse(element, file, startLine), line: startLine });
          element = '';
          state = 'between';
        }
        continue;
      }
      if (c === 32 || c === 9 || c === 10 || c === 13 || c === 0xfeff) continue;
      if (state === 'start' && (c === 91 || c === 123)) {
        if (c === 123) {
          single = true;
          state = 'element';
          depth = 1;
          from = i;
          startLine = line;
        } else state = 'between';
        continue;
      }
      if (state === 'between' && c === 93) {
        state = 'end';
        continue;
      }
      if (state === 'between') {
        state = 'element';
        from = i;
        startLine = line;
        depth = 0;
        if (c === 34) inString = true;
        else if (c === 123 || c === 91) depth = 1;
        continue;
      }
      throw new FileDataError(
        'JSON_MALFORMED',
        `unexpected "${String.fromCharCode(c)}" ${state === 'end' ? 'after the end of the array' : 'where a JSON array should start'}`,
        { file, line },
        { hint: 'format "json" reads a file holding one array of objects; use "jsonl" for one object per line' },
      );
    }
    if (state === 'element') element += chunk.slice(from);
    yield rows;
  }
  if (state === 'element' || state === 'between')
    throw new FileDataError(
      'JSON_TRUNCATED',
      'the file ends inside the array',
      { file, line },
      { hint: 'the file may still be being written, or was cut' },
    );
}
