import {
  buildCatalogStream,
  ConfigError,
  readStreams,
  type Catalog,
  type CheckResult,
  type ConnectorContext,
  type JsonSchema,
  type Logger,
  type RecordData,
  type SourceMessage,
  type SourceStream,
  type State,
  type StreamOutput,
  type StreamSync,
  type BatchFilesOffer,
  type StreamBatch,
} from '@mage-int/core';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeBatchFile } from './batch-file.js';
import { Duck, DUCK_THREADS } from './duck.js';
import { textKind } from './csv-conversions.js';
import { csvView, writeNumberedCsv } from './csv-view.js';
import { fileParquetSchema, fileRows, localCopy, openBytes, type DuckProvider } from './file-rows.js';
import { fileReading, givenProperties, type FileReading, type FileSourceConfig, type FileStreamConfig } from './file-settings.js';
import { globToRegExp, hivePartitions, staticPrefix } from './glob.js';
import { METADATA_PROPERTIES, SOURCE_FILE, SOURCE_LAST_MODIFIED, SOURCE_LINENO } from './metadata-columns.js';
import { RecordShaper } from './coerce.js';
import { SchemaInference } from './schema-inference.js';
import type { FileInfo, Storage } from './storage.js';

const BATCH_ROWS = 2000;
/** Bookmark fields of a file stream: the last file read completely, in (last-modified, key) order. */
const LAST_FILE_MODIFIED = 'last_file_modified';
const FILES_READ = 'files_read';

/** Files matching a stream's pattern, oldest first (then by key): the order an incremental read goes in. */
export async function matchingFiles(storage: Storage, stream: FileStreamConfig, signal?: AbortSignal): Promise<FileInfo[]> {
  const { regex, listed } = keyMatcher(stream);
  const files: FileInfo[] = [];
  for await (const file of storage.list(listed, signal)) if (file.key.startsWith(listed) && regex.test(file.key)) files.push(file);
  return files.sort((a, b) => a.modified.getTime() - b.modified.getTime() || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** What a stream's keys must match, and the prefix to list: its glob `pattern`, or Mage's `search_pattern` under `prefix`. */
function keyMatcher(stream: FileStreamConfig): { regex: RegExp; listed: string } {
  if ((stream.pattern === undefined) === (stream.search_pattern === undefined)) {
    throw new ConfigError('STREAM_PATTERN', 'a stream needs either `pattern` (a glob) or `search_pattern` (a regular expression)', {
      stream: stream.name,
      field: 'pattern',
      hint: 'give exactly one of them',
    });
  }
  if (stream.pattern !== undefined) {
    const pattern = stream.pattern.replace(/^\/+/, '');
    return { regex: globToRegExp(pattern), listed: staticPrefix(pattern) };
  }
  try {
    // Python's named groups (Mage's patterns are Python's re) are written (?<name>…) in JavaScript.
    return {
      regex: new RegExp((stream.search_pattern as string).replace(/\(\?P</g, '(?<')),
      listed: (stream.prefix ?? '').replace(/^\/+/, ''),
    };
  } catch (error) {
    throw new ConfigError('SEARCH_PATTERN_INVALID', `search_pattern is not a regular expression: ${(error as Error).message}`, {
      stream: stream.name,
      field: 'search_pattern',
    });
  }
}

function streamConfig(config: FileSourceConfig, name: string): FileStreamConfig {
  const found = config.streams.find((s) => s.name === name);
  if (!found) throw new ConfigError('STREAM_UNKNOWN', 'no stream of this name in `streams`', { stream: name });
  return found;
}

function lazyDuck(): { provide: DuckProvider; close: () => void } {
  let duck: Promise<Duck> | undefined;
  return {
    provide: () => (duck ??= Duck.open()),
    close: () => {
      void duck?.then((d) => d.close()).catch(() => {});
    },
  };
}

/**
 * The schema of a stream: the given one, or one inferred from the newest `schema_sample_files` files
 * (`schema_sample_rows` rows each; Parquet files give their own exact types), plus partition and metadata columns.
 */
export async function streamSchema(
  storage: Storage,
  config: FileSourceConfig,
  stream: FileStreamConfig,
  logger: Logger,
  signal?: AbortSignal,
): Promise<JsonSchema> {
  const files = await matchingFiles(storage, stream, signal);
  const partitions: Record<string, JsonSchema> = {};
  if (stream.hive_partitioning !== false)
    for (const file of files) for (const name of Object.keys(hivePartitions(file.key))) partitions[name] = { type: ['string', 'null'] };
  let properties = givenProperties(stream);
  if (!properties) {
    const sample = files.slice(-(config.schema_sample_files ?? 10)).reverse();
    if (sample.length === 0)
      logger.warn(
        `no file matches ${stream.pattern ?? `/${stream.search_pattern}/ under ${stream.prefix ?? ''}`} in ${storage.location}: the stream has only its metadata columns until files arrive (or give its \`schema\`)`,
        { stream: stream.name },
      );
    const rows = config.schema_sample_rows ?? 1000;
    const text = new SchemaInference(true);
    const typed = new SchemaInference(false);
    const exact: Record<string, JsonSchema> = {};
    const duck = lazyDuck();
    try {
      for (const file of sample) {
        const reading = fileReading(config, stream, file.key);
        if (reading.format === 'parquet') {
          typed.observeSchema(await fileParquetSchema(storage, file.key, reading, duck.provide, signal), exact);
          continue;
        }
        const into = reading.format === 'csv' ? text : typed;
        let n = 0;
        sampling: for await (const batch of fileRows(storage, file.key, reading, duck.provide, signal)) {
          for (const row of batch) {
            into.observe(row.values);
            if (++n >= rows) break sampling;
          }
        }
      }
    } finally {
      duck.close();
    }
    properties = { ...text.properties(), ...typed.properties(), ...exact };
  }
  for (const key of stream.key_properties ?? []) {
    if (!(key in properties) && !(key in partitions) && !(key in METADATA_PROPERTIES)) {
      throw new ConfigError('KEY_PROPERTY_UNKNOWN', `key property "${key}" is not a column of the stream's files`, {
        stream: stream.name,
        field: key,
        hint: `columns: ${Object.keys(properties).join(', ')}`,
      });
    }
  }
  return { type: 'object', properties: { ...partitions, ...properties, ...METADATA_PROPERTIES } };
}

/** The catalog: one stream per configured pattern, INCREMENTAL by the files' last-modified time unless told otherwise. */
export async function discoverFiles(storage: Storage, config: FileSourceConfig, logger: Logger, signal?: AbortSignal): Promise<Catalog> {
  const streams = [];
  for (const stream of config.streams) {
    streams.push(
      buildCatalogStream({
        stream: stream.name,
        schema: await streamSchema(storage, config, stream, logger, signal),
        keyProperties: stream.key_properties ?? [],
        validReplicationKeys: [SOURCE_LAST_MODIFIED],
        replicationMethod: 'INCREMENTAL',
        replicationKey: SOURCE_LAST_MODIFIED,
      }),
    );
  }
  return { streams };
}

/**
 * The bookmark of a file stream: the newest last-modified time read (`last_file_modified`) and the keys read
 * within `lookback_seconds` before it (`files_read`, key → last-modified). A file is new when it is newer than
 * that window, or inside it and not yet read: so a file listed late with an older time (S3 dates a multipart
 * object by the start of its upload; times have one-second precision) is still read, once.
 */
interface FilesBookmark {
  modified: string;
  read: Record<string, string>;
}

function savedBookmark(sync: StreamSync): FilesBookmark | undefined {
  const modified = sync.bookmark[LAST_FILE_MODIFIED];
  const read = sync.bookmark[FILES_READ];
  if (typeof modified !== 'string') return undefined;
  return { modified, read: typeof read === 'object' && read !== null ? { ...(read as Record<string, string>) } : {} };
}

/** Which files an incremental read takes: after the saved bookmark, or from a start value, inclusive. */
function isNew(sync: StreamSync, bookmark: FilesBookmark | undefined, lookbackMs: number): ((file: FileInfo) => boolean) | undefined {
  if (sync.method !== 'INCREMENTAL') return undefined;
  if (bookmark) {
    const cutoff = new Date(Date.parse(bookmark.modified) - lookbackMs).toISOString();
    return (file) => {
      const at = file.modified.toISOString();
      return at > bookmark.modified || (at >= cutoff && !(file.key in bookmark.read));
    };
  }
  if (sync.start === undefined || sync.start === null) return undefined;
  const from = new Date(String(sync.start)).getTime();
  if (Number.isNaN(from)) return undefined;
  return (file) => file.modified.getTime() >= from;
}

/** The bookmark after reading `file`: the newest time, and the keys read inside the window before it. */
function advance(bookmark: FilesBookmark | undefined, file: FileInfo, lookbackMs: number): FilesBookmark {
  const at = file.modified.toISOString();
  const modified = bookmark && bookmark.modified > at ? bookmark.modified : at;
  const cutoff = new Date(Date.parse(modified) - lookbackMs).toISOString();
  const read: Record<string, string> = {};
  for (const [key, time] of Object.entries({ ...bookmark?.read, [file.key]: at })) if (time >= cutoff) read[key] = time;
  return { modified, read };
}

/** One configured pattern as a source-kit stream: it yields each file's records; the kit owns SCHEMA, STATE and bookmarks. */
class FileStream implements SourceStream {
  private batchCount = 0;

  readonly name: string;
  readonly keyProperties: readonly string[];
  readonly replicationKey = SOURCE_LAST_MODIFIED;
  readonly validReplicationKeys = [SOURCE_LAST_MODIFIED];
  readonly startValue: unknown;

  constructor(
    private readonly storage: Storage,
    private readonly config: FileSourceConfig,
    private readonly stream: FileStreamConfig,
    private readonly offer?: BatchFilesOffer,
  ) {
    this.name = stream.name;
    this.keyProperties = stream.key_properties ?? [];
    this.startValue = config.start_date;
  }

  async *read(sync: StreamSync): AsyncGenerator<StreamOutput> {
    const properties = (sync.entry.schema.properties ?? {}) as Record<string, JsonSchema>;
    const files = await matchingFiles(this.storage, this.stream, sync.signal);
    const lookbackMs = (this.config.lookback_seconds ?? 300) * 1000;
    let bookmark = savedBookmark(sync);
    const wanted = isNew(sync, bookmark, lookbackMs);
    // Files younger than this may still be being written (a local file appended to): they wait for the next run.
    // Files are in last-modified order, so every file after the first young one is young too.
    const settle = Date.now() - (this.config.min_file_age_seconds ?? 0) * 1000;
    const duck = lazyDuck();
    try {
      for (const file of files) {
        if (wanted && !wanted(file)) continue;
        if (file.modified.getTime() > settle) {
          sync.logger.info(`${file.key} and newer files were modified less than min_file_age_seconds ago: left for the next run`, {
            stream: this.name,
          });
          break;
        }
        bookmark = advance(bookmark, file, lookbackMs);
        yield* this.readFile(file, properties, sync, duck.provide, bookmark);
      }
    } finally {
      duck.close();
    }
  }

  private async *readFile(
    file: FileInfo,
    properties: Record<string, JsonSchema>,
    sync: StreamSync,
    duck: DuckProvider,
    after: FilesBookmark,
  ): AsyncGenerator<StreamOutput> {
    const reading = fileReading(this.config, this.stream, file.key);
    const partitions = this.stream.hive_partitioning === false ? {} : hivePartitions(file.key);
    const modified = file.modified.toISOString();
    const bookmark = { [LAST_FILE_MODIFIED]: after.modified, [FILES_READ]: after.read };
    const files = await this.asBatchFile(file, reading, partitions, properties, sync, duck);
    if (files) {
      const loaded = files.rows > 0 ? { files } : {};
      yield sync.method === 'INCREMENTAL' ? { records: [], ...loaded, bookmark } : { records: [], ...loaded };
      return;
    }
    const shaper = new RecordShaper(properties, this.name, new Set(Object.keys(METADATA_PROPERTIES)));
    let batch: RecordData[] = [];
    for await (const rows of fileRows(this.storage, file.key, reading, duck, sync.signal)) {
      for (const row of rows) {
        // A column in the file wins over a partition value of the same name.
        const record: RecordData = { ...partitions };
        shaper.shape(row.values, file.key, row.line, record);
        record[SOURCE_FILE] = file.key;
        record[SOURCE_LINENO] = row.line;
        record[SOURCE_LAST_MODIFIED] = modified;
        batch.push(record);
      }
      if (batch.length >= BATCH_ROWS) {
        yield batch;
        batch = [];
      }
    }
    const now = await this.storage.stat(file.key);
    if (now && (now.size !== file.size || now.modified.getTime() !== file.modified.getTime())) {
      sync.logger.warn(`${file.key} changed while it was read: it is read again, whole, by the next run`, { stream: this.name });
    }
    // The bookmark passes a file only with its last records, so an interrupted read resumes at that file.
    yield sync.method === 'INCREMENTAL' ? { records: batch, bookmark } : batch;
  }

  /**
   * The file's records as a Parquet BATCH file DuckDB writes in one statement, when the run offers BATCH files
   * (ConnectorContext.batchFiles: the destination loads them itself) and the file is CSV or Parquet; undefined when
   * they must go record by record (another format, a value the record path would refuse or keep as an exact
   * decimal, nested values, line numbers DuckDB cannot count): the record path then reads the file.
   */
  private async asBatchFile(
    file: FileInfo,
    reading: FileReading,
    partitions: Record<string, string>,
    properties: Record<string, JsonSchema>,
    sync: StreamSync,
    duck: DuckProvider,
  ): Promise<StreamBatch['files']> {
    if (this.offer?.formats.includes('csv-view') && reading.format === 'csv' && this.keyProperties.length === 0) {
      const viewed = await this.asCsvView(file, reading, partitions, properties, sync);
      if (viewed) return viewed;
    }
    if (!this.offer?.formats.includes('parquet') || (reading.format !== 'csv' && reading.format !== 'parquet')) return undefined;
    const local = await localCopy(this.storage, file.key, reading, sync.signal);
    const out = join(this.offer.directory, `${++this.batchCount}-${Math.random().toString(36).slice(2, 8)}.parquet`);
    try {
      const written = await writeBatchFile({
        duck: await duck(),
        path: local.path,
        reading: { ...reading, compression: 'none' },
        key: file.key,
        modified: file.modified.toISOString(),
        partitions,
        properties,
        fields: sync.fields,
        out,
        // Several files for a large CSV (converted at once), one for keyed streams (the destination keeps a key's last row in file order).
        parts: this.keyProperties.length > 0 ? 1 : DUCK_THREADS,
        view: this.offer.formats.includes('parquet-view'),
      });
      if (written === undefined) {
        await rm(out, { force: true });
        return undefined;
      }
      if (written.view) return { format: 'parquet-view', paths: written.paths, rows: written.rows, view: written.view };
      return { format: 'parquet', paths: written.paths, rows: written.rows };
    } catch (error) {
      // The record path reads the file instead, and names the line and field of a value it refuses.
      sync.logger.debug(`${file.key}: read record by record (${(error as Error).message})`, { stream: this.name });
      await rm(out, { force: true });
      return undefined;
    } finally {
      await local.release();
    }
  }

  /**
   * A CSV's records as a `csv-view` BATCH file (offered by a destination that reads CSV itself: destination-duckdb):
   * the file's data rows, each numbered with the line it ends on (csv-view.ts), written into the batch folder as the
   * file is read (decompressed, downloaded); the destination converts and loads them in one parallel INSERT, and
   * reads a file it cannot load that way through the record path. Undefined when the file goes another way (a
   * stream with key properties keeps its Parquet file, whose row order the destination's merge follows; see
   * writeNumberedCsv and csvView for the rest).
   */
  private async asCsvView(
    file: FileInfo,
    reading: FileReading,
    partitions: Record<string, string>,
    properties: Record<string, JsonSchema>,
    sync: StreamSync,
  ): Promise<StreamBatch['files']> {
    const offer = this.offer as BatchFilesOffer;
    // A field only the record path converts (JSON in a CSV value): known before the file is read.
    if (sync.fields.some((field) => !(field in METADATA_PROPERTIES) && textKind(properties[field] ?? {}) === null)) return undefined;
    const out = join(offer.directory, `${++this.batchCount}-${Math.random().toString(36).slice(2, 8)}.csv`);
    try {
      // A local file in 1 MiB reads (the stream's default is 64 KiB); others as the record path reads them.
      const bytes =
        this.storage.localPath && reading.compression === 'none'
          ? createReadStream(this.storage.localPath(file.key), { highWaterMark: 1 << 20, signal: sync.signal })
          : await openBytes(this.storage, file.key, reading, sync.signal);
      let numbered: Awaited<ReturnType<typeof writeNumberedCsv>>;
      try {
        numbered = await writeNumberedCsv(bytes, reading.csv, out);
      } finally {
        bytes.destroy();
      }
      const view =
        numbered &&
        csvView({
          csv: reading.csv,
          key: file.key,
          modified: file.modified.toISOString(),
          columns: numbered.columns,
          partitions,
          properties,
          fields: sync.fields,
        });
      if (!numbered || !view || numbered.rows === 0) {
        await rm(out, { force: true });
        return numbered && view ? { format: 'csv-view', paths: [], rows: 0, view } : undefined;
      }
      return { format: 'csv-view', paths: [out], rows: numbered.rows, view };
    } catch (error) {
      await rm(out, { force: true });
      if (sync.signal.aborted) throw error;
      sync.logger.debug(`${file.key}: not sent as a csv-view (${(error as Error).message})`, { stream: this.name });
      return undefined;
    }
  }
}

/** Reads the selected streams of `catalog` from `storage`, on the source kit. */
export function readFiles(
  storage: Storage,
  config: FileSourceConfig,
  catalog: Catalog,
  state: State,
  ctx: ConnectorContext,
): AsyncGenerator<SourceMessage> {
  const streams = config.streams.map((s) => new FileStream(storage, config, streamConfig(config, s.name), ctx.batchFiles));
  return readStreams(streams, catalog, state, ctx);
}

/** `check`: every stream's pattern can be listed; says how many files each matches. */
export async function checkFiles(storage: Storage, config: FileSourceConfig): Promise<CheckResult> {
  try {
    const counts: string[] = [];
    for (const stream of config.streams) counts.push(`${stream.name}: ${(await matchingFiles(storage, stream)).length} files`);
    return { ok: true, message: `${storage.location} (${counts.join(', ')})` };
  } catch (error) {
    return { ok: false, message: `cannot list ${storage.location}: ${(error as Error).message}`, error };
  }
}
