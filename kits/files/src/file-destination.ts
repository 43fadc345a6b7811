import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConnectorError,
  writeWithSession,
  type CheckResult,
  type DestinationSession,
  type DestinationSettings,
  type JsonSchema,
  type RecordBatch,
  type RecordData,
  type SessionControl,
  type SourceMessage,
  type StateMessage,
  type StreamInfo,
  type WriteContext,
} from '@mage-int/core';
import { compressionExtension, type Compression } from './compression.js';
import { Duck } from './duck.js';
import { TextFileWriter } from './formats/file-writer.js';
import { ParquetFileWriter } from './formats/parquet-writer.js';
import { parsePartitionBy, partitionColumn, partitionFolder, strftimeUtc, type PartitionBy } from './partition-path.js';
import type { Storage } from './storage.js';

/** The settings every file destination shares, whatever the storage (spec: kits/files/destination-spec.json). */
export interface FileDestinationConfig extends DestinationSettings {
  format?: 'csv' | 'jsonl' | 'parquet';
  compression?: 'none' | 'gzip' | 'zstd' | 'snappy';
  path_prefix?: string;
  file_max_rows?: number;
  file_max_bytes?: number;
  partition_by?: string;
  date_partition_format?: string | null;
  /** Mage's S3 `table`: the folder of a pipeline's one stream, in place of the stream's name (null: each stream's own). */
  table?: string | null;
  /** Mage's S3 `column_header_format`: every column name written in lower or upper case (null: as given). */
  column_header_format?: 'lower' | 'upper' | null;
  csv?: { delimiter?: string; header?: boolean };
}

interface Resolved {
  format: 'csv' | 'jsonl' | 'parquet';
  /** CSV and JSON Lines: the whole file's compression. */
  compression: Compression;
  /** Parquet: its column codec. */
  codec: string;
  prefix: string;
  maxRows: number;
  maxBytes: number;
  partitionBy?: PartitionBy;
  /** Mage's date_partition_format: a folder per write time. */
  dateFolder?: string;
  table?: string;
  /** Mage's column_header_format: the case of every column name written. */
  nameCase?: 'lower' | 'upper';
  delimiter: string;
  header: boolean;
}

function resolve(config: FileDestinationConfig): Resolved {
  const format = config.format ?? 'jsonl';
  const compression = config.compression ?? (format === 'parquet' ? 'snappy' : 'none');
  if (format !== 'parquet' && compression === 'snappy') {
    throw new ConnectorError('COMPRESSION_INVALID', 'snappy is a Parquet codec', {
      field: 'compression',
      hint: 'CSV and JSON Lines files take none, gzip or zstd',
    });
  }
  const partitionBy = parsePartitionBy(config.partition_by);
  return {
    format,
    compression: format === 'parquet' ? 'none' : (compression as Compression),
    codec: compression === 'none' ? 'uncompressed' : compression,
    prefix: (config.path_prefix ?? '').replace(/^\/+/, '').replace(/([^/])$/, '$1/'),
    maxRows: config.file_max_rows ?? 1_000_000,
    maxBytes: config.file_max_bytes ?? 256 * 1024 * 1024,
    ...(partitionBy ? { partitionBy } : {}),
    ...(config.date_partition_format ? { dateFolder: config.date_partition_format } : {}),
    ...(config.table ? { table: config.table } : {}),
    ...(config.column_header_format ? { nameCase: config.column_header_format } : {}),
    delimiter: config.csv?.delimiter ?? ',',
    header: config.csv?.header ?? true,
  };
}

const caseOf = (nameCase: 'lower' | 'upper') => (name: string) => (nameCase === 'lower' ? name.toLowerCase() : name.toUpperCase());

/**
 * The names a stream's columns are written under: as given, or all in lower or upper case (Mage's
 * column_header_format). Two columns that would share a name are refused: one would hide the other in every format.
 */
function columnNames(columns: readonly string[], nameCase: 'lower' | 'upper' | undefined, stream: string): string[] {
  if (nameCase === undefined) return [...columns];
  const rename = caseOf(nameCase);
  const seen = new Map<string, string>();
  for (const column of columns) {
    const name = rename(column);
    const other = seen.get(name);
    if (other !== undefined) {
      throw new ConnectorError(
        'COLUMN_HEADER_COLLISION',
        `column_header_format ${nameCase} would write "${other}" and "${column}" both as "${name}"`,
        {
          stream,
          field: column,
          hint: 'rename one of them in the source (or with a stream map), or leave column_header_format null',
        },
      );
    }
    seen.set(name, column);
  }
  return columns.map(rename);
}

/** A stream name as one folder name: letters, digits, `.`, `_`, `-` stay, the rest becomes `_`; never hidden. */
export function streamFolder(stream: string): string {
  const safe = stream.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\./, '_');
  return safe.length > 0 ? safe.slice(0, 200) : '_';
}

/** The run's part of every file name: the UTC start time and a random tag, so runs never overwrite each other. */
function runName(at: Date): string {
  return `${at.toISOString().slice(0, 19).replace(/[-:]/g, '')}Z-${randomBytes(3).toString('hex')}`;
}

type Writer = TextFileWriter | ParquetFileWriter;

interface OpenFile {
  key: string;
  writer: Writer;
  stream: string;
}

interface StreamFiles {
  info: StreamInfo;
  columns: string[];
  /** The names the columns are written under (column_header_format), in the order of `columns`. */
  names: string[];
  folder: string;
  partitionBy?: PartitionBy;
  /** The next file number of the stream in this run. */
  next: number;
}

/**
 * The file session of the destination kit: per stream (and partition folder) one open file, staged locally; a
 * file is finished and stored (`Storage.putFile`: temp name + fsync + rename, or a completed multipart upload)
 * when it reaches `file_max_rows` / `file_max_bytes`, and every open file is at each commit. So a STATE is
 * released only once every record before it is in a complete file under its final name.
 */
class FileSession implements DestinationSession {
  private readonly streams = new Map<string, StreamFiles>();
  private readonly open = new Map<string, OpenFile>();
  private readonly run: string;
  private duck: Promise<Duck> | undefined;

  constructor(
    private readonly storage: Storage,
    private readonly settings: Resolved,
    private readonly control: SessionControl,
    private readonly staging: string,
    private readonly asked: WriteContext['streams'],
  ) {
    this.run = runName(new Date());
  }

  async openStream(info: StreamInfo): Promise<void> {
    const previous = this.streams.get(info.name);
    const table = this.settings.table;
    const other = table === undefined ? undefined : [...this.streams.keys()].find((name) => name !== info.name);
    if (other !== undefined) {
      throw new ConnectorError(
        'TABLE_SECOND_STREAM',
        `"table" (${table}) names the folder of one stream; "${info.name}" is a second (after "${other}")`,
        {
          stream: info.name,
          field: 'table',
          hint: 'remove table: each stream then gets a folder named after it',
        },
      );
    }
    const columns = Object.keys(info.schema.properties ?? {});
    const nameCase = this.settings.nameCase;
    const names = columnNames(columns, nameCase, info.name);
    const by = this.settings.partitionBy;
    if (by && !columns.includes(by.field))
      this.control.logger.warn(`the stream has no field "${by.field}": its files are not partitioned`, { stream: info.name });
    const asked = this.asked[info.name]?.conflictMethod;
    if (asked !== undefined && asked !== 'append')
      this.control.logger.warn(`files are append-only: every record is written, the "${asked}" conflict rule does not apply`, {
        stream: info.name,
      });
    this.streams.set(info.name, {
      info,
      columns,
      names,
      folder: streamFolder(table ?? info.name),
      // A folder's `field=` is cased as the files' column names are.
      ...(by && columns.includes(by.field) ? { partitionBy: nameCase ? { ...by, name: caseOf(nameCase)(partitionColumn(by)) } : by } : {}),
      next: previous?.next ?? 1,
    });
  }

  private fileKey(stream: StreamFiles, partition: string): string {
    const ext =
      this.settings.format === 'parquet' ? '.parquet' : `.${this.settings.format}${compressionExtension(this.settings.compression)}`;
    const n = String(stream.next++).padStart(5, '0');
    const dated = this.settings.dateFolder ? `${strftimeUtc(this.settings.dateFolder, new Date())}/` : '';
    return `${this.settings.prefix}${stream.folder}/${dated}${partition}${this.run}-${n}${ext}`;
  }

  private async newFile(stream: StreamFiles, partition: string): Promise<OpenFile> {
    const key = this.fileKey(stream, partition);
    const name = key.split('/').pop() as string;
    const local = this.storage.stagingDirectory?.(key);
    if (local) await mkdir(local, { recursive: true });
    const path = join(local ?? this.staging, `.${name}.partial-${process.pid}`);
    const { settings } = this;
    const writer =
      settings.format === 'parquet'
        ? new ParquetFileWriter(
            path,
            join(this.staging, `${name}.csv`),
            stream.columns,
            stream.names,
            stream.info.schema.properties as Record<string, JsonSchema>,
            settings.codec,
            () => (this.duck ??= Duck.open()),
            this.control.logger,
            stream.info.name,
          )
        : new TextFileWriter(
            path,
            settings.format,
            settings.compression,
            stream.columns,
            { delimiter: settings.delimiter, header: settings.header },
            settings.nameCase === undefined ? undefined : { names: stream.names, rename: caseOf(settings.nameCase) },
          );
    return { key, writer, stream: stream.info.name };
  }

  async write(batch: RecordBatch): Promise<void> {
    const stream = this.streams.get(batch.stream) as StreamFiles;
    if (stream.partitionBy) {
      const groups = new Map<string, RecordData[]>();
      for (const record of batch.records) {
        const folder = partitionFolder(stream.partitionBy, record[stream.partitionBy.field]);
        const group = groups.get(folder);
        if (group) group.push(record);
        else groups.set(folder, [record]);
      }
      for (const [folder, records] of groups) await this.writeTo(stream, folder, records);
    } else await this.writeTo(stream, '', batch.records);
  }

  /** Appends to the slot's open file, rolling to a new one at `file_max_rows` / `file_max_bytes`. */
  private async writeTo(stream: StreamFiles, partition: string, records: RecordData[]): Promise<void> {
    const slot = `${stream.info.name}\u0000${partition}`;
    let at = 0;
    while (at < records.length) {
      let file = this.open.get(slot);
      if (!file) {
        file = await this.newFile(stream, partition);
        this.open.set(slot, file);
      }
      const take = Math.min(records.length - at, this.settings.maxRows - file.writer.rows);
      await file.writer.write(at === 0 && take === records.length ? records : records.slice(at, at + take));
      at += take;
      if (file.writer.rows >= this.settings.maxRows || file.writer.bytes >= this.settings.maxBytes) {
        this.open.delete(slot);
        await this.store(file);
      }
    }
  }

  /** Finishes a file and stores it under its final key; the staged file is gone afterwards either way. */
  private async store(file: OpenFile): Promise<void> {
    try {
      await file.writer.finish();
      await this.storage.putFile(file.key, file.writer.path, this.control.signal);
      this.control.logger.debug(`stored ${file.key} (${file.writer.rows} records)`, { stream: file.stream });
    } catch (error) {
      throw new ConnectorError('FILE_NOT_STORED', `could not store ${file.key} in ${this.storage.location}: ${(error as Error).message}`, {
        stream: file.stream,
        cause: error,
        hint: 'nothing was stored under that name and no STATE after its records was released; the next run writes them again',
      });
    } finally {
      await rm(file.writer.path, { force: true });
    }
  }

  uncommittedBytes(): number {
    let bytes = 0;
    for (const file of this.open.values()) bytes += file.writer.bytes;
    return bytes;
  }

  async commit(): Promise<void> {
    const files = [...this.open.values()];
    this.open.clear();
    const results = await Promise.allSettled(files.map((file) => this.store(file)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.open.values()].map((file) => file.writer.abort()));
    this.open.clear();
    await this.duck?.then((d) => d.close()).catch(() => {});
    await rm(this.staging, { recursive: true, force: true });
    await this.storage.close?.();
  }
}

/**
 * Writes each stream's records as files under `<path_prefix><stream>/[<field>=<value>/]<run>-<n>.<ext>` in
 * `storage`, through the destination kit's batching writer (STATE only after the files holding the records before
 * it are complete under their final names).
 */
export function writeFiles(
  storage: Storage,
  config: FileDestinationConfig,
  messages: AsyncIterable<SourceMessage>,
  ctx: WriteContext,
): AsyncGenerator<StateMessage> {
  const settings = resolve(config);
  return writeWithSession(
    config,
    messages,
    ctx,
    async (control) => new FileSession(storage, settings, control, await mkdtemp(join(tmpdir(), 'mage-files-out-')), ctx.streams),
    { maxRows: 1_000_000, maxBytes: 256 * 1024 * 1024, maxAgeMs: 300_000 },
  );
}

/**
 * `check`: stores a small probe file under a hidden name (file sources skip hidden names), and leaves it: the
 * destination may not be granted delete.
 */
export async function checkFileDestination(storage: Storage, config: FileDestinationConfig): Promise<CheckResult> {
  const dir = await mkdtemp(join(tmpdir(), 'mage-files-check-'));
  try {
    resolve(config);
    const probe = join(dir, 'probe');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(probe, 'ok\n');
    const key = `${resolve(config).prefix}.mage-int-check`;
    await storage.putFile(key, probe);
    return { ok: true, message: `can write to ${storage.location} (${key})` };
  } catch (error) {
    return { ok: false, message: `cannot write to ${storage.location}: ${(error as Error).message}`, error };
  } finally {
    await rm(dir, { recursive: true, force: true });
    await storage.close?.();
  }
}
