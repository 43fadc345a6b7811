import { open, rm, type FileHandle } from 'node:fs/promises';
import type { RecordData } from '@mage-int/core';
import type { RecordContext } from './metadata-columns.js';

/** A batch whose native rows are in a chunk, kept so its records can be staged instead if DuckDB refuses them. */
export interface HeldBatch {
  records: readonly RecordData[];
  context: RecordContext;
}

/**
 * Native rows of consecutive batches gathered in one file, so DuckDB's reader takes them in one statement
 * (a statement per source batch of 2,000 rows costs more than reading them). Every row of a chunk shares one
 * staging sequence number: a chunk never holds a key twice.
 */
export class NativeChunk {
  readonly held: HeldBatch[] = [];
  /** The keys of the chunk's rows (a key may be in a chunk once: its rows share one sequence number). */
  readonly keys = new Set<unknown>();
  rows = 0;
  bytes = 0;
  private handle?: FileHandle;

  constructor(
    /** The INSERT's SELECT (reading `file`); batches share a chunk only when they load with the same one. */
    readonly select: string,
    readonly file: string,
    /** The staging sequence number of every row in the chunk. */
    readonly sequence: number,
  ) {}

  /** Appends a batch's rows to the file. */
  async add(data: Buffer, batch: HeldBatch): Promise<void> {
    this.handle ??= await open(this.file, 'w');
    await this.handle.write(data);
    this.held.push(batch);
    this.rows += batch.records.length;
    this.bytes += data.length;
  }

  /** Closes the file, ready for DuckDB to read. */
  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }

  /** Removes the file (after the insert, or when the load ends without one). */
  async discard(): Promise<void> {
    await this.close();
    await rm(this.file, { force: true });
  }
}
