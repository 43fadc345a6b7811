import { gunzipSync } from 'node:zlib';
import { ConnectorError, parseExactJson, type HttpResponse, type RecordData } from '@mage-int/core';
import { selectAll } from './json-path.js';

export type ResponseFormat = 'auto' | 'json' | 'jsonl' | 'csv';

const RECORD_FIELDS = ['data', 'results', 'records', 'items'];

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length > 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function formatOf(format: ResponseFormat, response: HttpResponse): Exclude<ResponseFormat, 'auto'> {
  if (format !== 'auto') return format;
  const type = (response.headers.get('content-type') ?? '').toLowerCase();
  if (/ndjson|jsonl|json-seq|jsonlines/.test(type)) return 'jsonl';
  if (/csv/.test(type)) return 'csv';
  return 'json';
}

/**
 * The records of one answer: the body unpacked when it is gzip (a `.json.gz` export; a gzip Content-Encoding is
 * undone by fetch already), read as JSON, JSON Lines or CSV, then `selector` applied (a JSONPath whose single
 * list result is the records, or whose several results are). Every record must be an object.
 */
export function decodeRecords(
  response: HttpResponse,
  format: ResponseFormat,
  selector: string | undefined,
  stream: string,
  columns?: readonly string[],
  csv: CsvOptions = {},
): RecordData[] {
  const gzipped = isGzip(response.bytes);
  const text = gzipped ? gunzipSync(response.bytes).toString('utf8') : response.text;
  const kind = formatOf(format, response);
  let body: unknown;
  if (kind === 'jsonl') body = parseLines(text, stream, response);
  else if (kind === 'csv') body = parseCsv(text, csv);
  else if (!gzipped && response.body !== undefined) body = response.body;
  else body = text.trim() === '' ? undefined : parseJson(text, stream, response);
  if (body === undefined || body === null) return [];
  let found: unknown;
  if (selector !== undefined) {
    const nodes = selectAll(body, selector);
    found = nodes.length === 1 && Array.isArray(nodes[0]) ? nodes[0] : nodes;
  } else found = Array.isArray(body) ? body : RECORD_FIELDS.map((f) => (body as Record<string, unknown>)[f]).find(Array.isArray);
  if (found === undefined) {
    throw new ConnectorError('RECORDS_NOT_FOUND', `${response.url.pathname} answered without a list of records`, {
      stream,
      field: 'endpoint.data_selector',
      hint: `set data_selector to where the records are; the answer's fields: ${typeof body === 'object' ? Object.keys(body as object).join(', ') : typeof body}`,
    });
  }
  let records = found as unknown[];
  if (columns || csv.header === false) records = asObjects(records, columns ?? []);
  for (const [i, record] of records.entries()) {
    if (typeof record !== 'object' || record === null || Array.isArray(record)) {
      throw new ConnectorError(
        'RECORD_NOT_OBJECT',
        `${response.url.pathname}: the data_selector picks ${JSON.stringify(record)?.slice(0, 80)}, not an object`,
        {
          stream,
          record: i,
          field: 'endpoint.data_selector',
          hint: 'point data_selector at the list of records ($.data[*] or data), not at one of their fields',
        },
      );
    }
  }
  return records as RecordData[];
}

/**
 * `columns` (Mage's): records that are not objects become objects — a list of values by position, one value as the
 * first column; with no names given, `col0`, `col1`, … as many as the longest list.
 */
function asObjects(records: unknown[], columns: readonly string[]): unknown[] {
  const isObject = (r: unknown) => typeof r === 'object' && r !== null && !Array.isArray(r);
  if (records.every(isObject)) return records;
  const width = Math.max(1, ...records.map((r) => (Array.isArray(r) ? r.length : 1)));
  const names = columns.length > 0 ? columns : Array.from({ length: width }, (_, i) => `col${i}`);
  return records.map((r) => {
    if (isObject(r)) return r;
    const values = Array.isArray(r) ? r : [r];
    return Object.fromEntries(names.map((name, i) => [name, values[i] ?? null]));
  });
}

function parseJson(text: string, stream: string, response: HttpResponse): unknown {
  try {
    return parseExactJson(text);
  } catch (error) {
    throw new ConnectorError(
      'RESPONSE_NOT_JSON',
      `${response.url.pathname} answered with text that is not JSON: ${(error as Error).message}`,
      {
        stream,
        field: 'endpoint.response_format',
        hint: `the answer starts with ${JSON.stringify(text.slice(0, 60))}; set response_format (jsonl, csv) if it is not JSON`,
      },
    );
  }
}

function parseLines(text: string, stream: string, response: HttpResponse): unknown[] {
  const out: unknown[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    try {
      out.push(parseExactJson(line));
    } catch (error) {
      throw new ConnectorError(
        'RESPONSE_LINE_NOT_JSON',
        `${response.url.pathname}: line ${i + 1} is not JSON: ${(error as Error).message}`,
        { stream, field: 'endpoint.response_format' },
      );
    }
  }
  return out;
}

/** A CSV answer's dialect: its field separator (default `,`) and whether its first row names the fields (default yes). */
export interface CsvOptions {
  separator?: string;
  header?: boolean;
}

/**
 * RFC 4180 CSV: the first row names the fields (without a header, each row is a list of its values); quoted fields may
 * hold the separator, quotes ("") and newlines.
 */
export function parseCsv(text: string, options: CsvOptions = {}): Record<string, string>[] | string[][] {
  const separator = options.separator ?? ',';
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === separator) {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  const filled = rows.filter((r) => !(r.length === 1 && r[0] === ''));
  if (options.header === false) return filled;
  const [header, ...data] = filled;
  if (!header) return [];
  return data.map((values) => Object.fromEntries(header.map((name, i) => [name, values[i] ?? ''])));
}
