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

const CHUNK = 256 * 1024;

/**
 * Writes rows of one file in CSV or JSON Lines to a local path, through gzip or zstd when asked, with
 * backpressure. CSV: an unquoted empty field is NULL and an empty string is written `""`, so the two stay apart.
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
  ) {
    this.file = createWriteStream(path, { flags: 'wx' });
    const deflate = compressor(compression);
    if (deflate) {
      deflate.pipe(this.file);
      deflate.on('error', (error) => this.file.destroy(error));
    }
    this.out = deflate ?? this.file;
    if (format === 'csv' && csv.header) this.push(this.csvLines([columns as string[]]));
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
      for (const record of records) this.push(stringifyRecord(record) + '\n');
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
