import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { decompressor } from './compression.js';
import type { Duck } from './duck.js';
import type { FileReading } from './file-settings.js';
import { readCsvRows } from './formats/csv-reader.js';
import { readJsonArray, readJsonLines } from './formats/json-reader.js';
import { parquetSchema, readParquetRows } from './formats/parquet-reader.js';
import type { RawRow } from './formats/raw-row.js';
import type { Storage } from './storage.js';
import type { JsonSchema } from '@mage-int/core';

/** Opens DuckDB at most once per read, only when a Parquet file comes. */
export type DuckProvider = () => Promise<Duck>;

/** The file's bytes, decompressed. */
export async function openBytes(storage: Storage, key: string, reading: FileReading, signal?: AbortSignal): Promise<Readable> {
  const raw = await storage.read(key, signal);
  const inflate = decompressor(reading.compression);
  if (!inflate) return raw;
  raw.on('error', (error) => inflate.destroy(error));
  return raw.pipe(inflate);
}

/**
 * A local, uncompressed path of the file for DuckDB: the file itself when the storage is local, else a copy in a
 * private temp folder (downloaded and decompressed in one pass), removed by `release`.
 */
export async function localCopy(
  storage: Storage,
  key: string,
  reading: FileReading,
  signal?: AbortSignal,
): Promise<{ path: string; release: () => Promise<void> }> {
  if (storage.localPath && reading.compression === 'none') return { path: storage.localPath(key), release: async () => {} };
  const dir = await mkdtemp(join(tmpdir(), 'mage-files-'));
  const path = join(dir, 'file.parquet');
  try {
    await pipeline(await openBytes(storage, key, reading, signal), createWriteStream(path), ...(signal ? [{ signal }] : []));
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return { path, release: () => rm(dir, { recursive: true, force: true }) };
}

/** The rows of one file, streamed in batches (Parquet: from a local file DuckDB reads in chunks). */
export async function* fileRows(
  storage: Storage,
  key: string,
  reading: FileReading,
  duck: DuckProvider,
  signal?: AbortSignal,
): AsyncGenerator<RawRow[]> {
  if (reading.format === 'parquet') {
    const local = await localCopy(storage, key, reading, signal);
    try {
      yield* readParquetRows(await duck(), local.path, key);
    } finally {
      await local.release();
    }
    return;
  }
  const bytes = await openBytes(storage, key, reading, signal);
  try {
    if (reading.format === 'csv') yield* readCsvRows(bytes, reading.csv, key);
    else if (reading.format === 'jsonl') yield* readJsonLines(bytes, key);
    else yield* readJsonArray(bytes, key);
  } finally {
    bytes.destroy();
  }
}

/** A Parquet file's own exact schema. */
export async function fileParquetSchema(
  storage: Storage,
  key: string,
  reading: FileReading,
  duck: DuckProvider,
  signal?: AbortSignal,
): Promise<Record<string, JsonSchema>> {
  const local = await localCopy(storage, key, reading, signal);
  try {
    return await parquetSchema(await duck(), local.path, key);
  } finally {
    await local.release();
  }
}
