import { open, readFile, rm, type FileHandle } from 'node:fs/promises';
import type { RecordData } from '@mage-int/core';
import type { RecordContext } from './metadata-columns.js';

/** A batch whose native rows are in a chunk, kept so its records can be staged instead if DuckDB refuses them. */
export interface HeldBatch {
  records: readonly RecordData[];
  context: RecordContext;
}

/**
 * How a held batch gets its records back: the records themselves, or (when the source can decode its rows
 * again) the byte range of its rows in the chunk file and the decoder, so no record is held meanwhile.
 */
type Held =
  | { records: readonly RecordData[]; context: RecordContext }
  | { offset: number; length: number; decode: (data: Buffer) => RecordData[]; context: RecordContext };

/**
 * Native rows of consecutive batches gathered in one file, so DuckDB's reader takes them in one statement
 * (a statement per source batch of 2,000 rows costs more than reading them). Every row of a chunk shares one
 * staging sequence number: a chunk never holds a key twice.
 */
export class NativeChunk {
  private readonly held: Held[] = [];
  rows = 0;
  bytes = 0;
  /** Every batch can be decoded again from the file: the chunk holds no records and may grow large. */
  decodable = true;
  private handle?: FileHandle;

  constructor(
    /** The INSERT (reading `file`); batches share a chunk only when they load with the same one. */
    readonly statement: string,
    readonly file: string,
    /** The staging sequence number of every row in the chunk. */
    readonly sequence: number,
    /** The keys of the chunk's rows (a key may be in a chunk once: its rows share one sequence number). */
    readonly keys: Set<unknown>,
    /** The rows go straight into the table (inside the commit's transaction), not into the staging table. */
    readonly direct = false,
  ) {}

  /** Appends a batch's rows to the file; with `decode`, its records are not kept (they are decoded from the file if needed). */
  async add(data: Buffer, records: readonly RecordData[], context: RecordContext, decode?: (data: Buffer) => RecordData[]): Promise<void> {
    this.handle ??= await open(this.file, 'w');
    await this.handle.write(data);
    this.held.push(decode ? { offset: this.bytes, length: data.length, decode, context } : { records, context });
    if (!decode) this.decodable = false;
    this.rows += records.length;
    this.bytes += data.length;
  }

  /** Closes the file, ready for DuckDB to read. */
  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }

  /** The held batches with their records (decoded again from the file where they were not kept). Before `discard`. */
  async batches(): Promise<HeldBatch[]> {
    const file = this.held.some((h) => 'decode' in h) ? await readFile(this.file) : undefined;
    return this.held.map((h) =>
      'decode' in h ? { records: h.decode((file as Buffer).subarray(h.offset, h.offset + h.length)), context: h.context } : h,
    );
  }

  /** Removes the file (after the insert, or when the load ends without one). */
  async discard(): Promise<void> {
    await this.close();
    await rm(this.file, { force: true });
  }
}
