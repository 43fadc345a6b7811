import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { stringifyRecord, type RecordData } from '@mage-int/core';
import { stringify } from 'csv-stringify/sync';
import { compressor, type Compression } from '../compression.js';
import { textValue } from './text-value.js';

export interface CsvWriteOptions {
  delimiter: string;
  header: boolean;
}

/** Column names written other than the stream gives them (Mage's column_header_format). */
export interface WrittenNames {
  /** The CSV header: one name per column, in the order of the writer's columns. */
  names: readonly string[];
  /** A JSON Lines record's keys. */
  rename: (name: string) => string;
}

const CHUNK = 256 * 1024;

/**
 * Writes rows of one file in CSV or JSON Lines to a local path, through gzip or zstd when asked, with
 * backpressure. CSV: an unquoted empty field is NULL and an empty string is written `""`, so the two stay apart.
 * With `written`, the CSV header holds its names and JSON Lines records carry renamed keys.
 */
export class TextFileWriter {
  rows = 0;
  bytes = 0;
  private pending: string[] = [];
  private pendingLength = 0;
  private readonly file: WriteStream;
  private readonly out: Writable;

  constructor(
    readonly path: string,
    private readonly format: 'csv' | 'jsonl',
    compression: Compression,
    private readonly columns: readonly string[],
    private readonly csv: CsvWriteOptions,
    private readonly written?: WrittenNames,
  ) {
    this.file = createWriteStream(path, { flags: 'wx' });
    const deflate = compressor(compression);
    if (deflate) {
      deflate.pipe(this.file);
      deflate.on('error', (error) => this.file.destroy(error));
    }
    this.out = deflate ?? this.file;
    if (format === 'csv' && csv.header) this.push(this.csvLines([[...(written?.names ?? columns)]]));
  }

  private csvLines(rows: (string | null)[][]): string {
    return stringify(rows, { delimiter: this.csv.delimiter, quoted_match: /^$/, eof: true, record_delimiter: 'unix' });
  }

  private push(text: string): void {
    this.pending.push(text);
    this.pendingLength += text.length;
    this.bytes += Buffer.byteLength(text);
  }

  async write(records: readonly RecordData[]): Promise<void> {
    if (this.format === 'jsonl') {
      const rename = this.written?.rename;
      for (const record of records) this.push(stringifyRecord(rename ? renamedKeys(record, rename) : record) + '\n');
    } else {
      this.push(this.csvLines(records.map((record) => this.columns.map((c) => textValue(record[c])))));
    }
    this.rows += records.length;
    if (this.pendingLength >= CHUNK) await this.drain();
  }

  private async drain(): Promise<void> {
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    this.pendingLength = 0;
    if (!this.out.write(text)) await once(this.out, 'drain');
  }

  /** Writes what is buffered, ends the compressed stream and closes the file. */
  async finish(): Promise<void> {
    await this.drain();
    this.out.end();
    await finished(this.file);
  }

  async abort(): Promise<void> {
    this.out.destroy();
    this.file.destroy();
    await rm(this.path, { force: true });
  }
}

function renamedKeys(record: RecordData, rename: (name: string) => string): RecordData {
  const out: RecordData = {};
  for (const key in record) out[rename(key)] = record[key];
  return out;
}
