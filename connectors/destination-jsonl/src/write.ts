import { mkdir } from 'node:fs/promises';
import { ConfigError, forEachRecord, ProtocolError, stringifyRecord, type SchemaMessage, type SourceMessage, type StateMessage, type WriteContext } from '@mage-int/core';
import { batchRecordLines } from './batch-files.js';
import { FileNames, timestampSuffix, type Compression } from './file-names.js';
import type { Config } from './generated/config.js';
import { StreamFile } from './stream-file.js';

/** The config with defaults applied. */
export interface JsonlSettings {
  directory: string;
  compression: Compression;
  timestampFiles: boolean;
  flushRows: number;
  flushBytes: number;
  flushIntervalMs: number;
}

export function settingsFrom(config: Config): JsonlSettings {
  if (!config.destination_path) {
    throw new ConfigError('DESTINATION_PATH_MISSING', 'destination_path is required', { field: 'destination_path' });
  }
  return {
    directory: config.destination_path,
    compression: config.compression ?? 'none',
    timestampFiles: config.do_timestamp_file ?? false,
    flushRows: config.flush_rows ?? 10_000,
    flushBytes: config.flush_bytes ?? 64 * 1024 * 1024,
    flushIntervalMs: (config.flush_interval_seconds ?? 60) * 1000,
  };
}

/**
 * A SCHEMA must describe every field its key_properties name (Singer spec). A log does not use keys, but
 * such a SCHEMA comes from a broken source, and every destination refuses it alike.
 */
function assertKeysInSchema(message: SchemaMessage): void {
  const properties = message.schema.properties ?? {};
  for (const key of message.key_properties ?? []) {
    if (!Object.hasOwn(properties, key)) {
      throw new ProtocolError('KEY_NOT_IN_SCHEMA', `key property "${key}" is not among the schema's properties`, {
        stream: message.stream,
        field: key,
        hint: 'a SCHEMA must describe every field named in key_properties',
      });
    }
  }
}

/** The open files of one write, one per stream, and what they hold in memory. */
class OpenFiles {
  private readonly files = new Map<string, StreamFile>();
  private readonly names: FileNames;
  rows = 0;
  bytes = 0;
  /** When the oldest buffered record arrived (0 when nothing is buffered). */
  since = 0;

  constructor(
    private readonly settings: JsonlSettings,
    private readonly ctx: WriteContext,
    startedAt: Date,
  ) {
    this.names = new FileNames(settings.compression, settings.timestampFiles ? timestampSuffix(startedAt) : '');
  }

  async get(stream: string): Promise<StreamFile> {
    let file = this.files.get(stream);
    if (!file) {
      file = await StreamFile.open(this.settings.directory, this.names.forStream(stream), stream, this.settings.compression, this.ctx.logger);
      this.files.set(stream, file);
      this.ctx.logger.debug(`writing ${stream} to ${file.path}`);
      const method = this.ctx.streams[stream]?.conflictMethod;
      if (method !== undefined && method !== 'append') {
        this.ctx.logger.warn(`JSON Lines files are append-only: every record is written, the "${method}" conflict rule does not apply`, { stream });
      }
    }
    return file;
  }

  add(file: StreamFile, line: string): void {
    file.push(line);
    if (this.rows === 0) this.since = Date.now();
    this.rows++;
    this.bytes += line.length + 1;
  }

  due(): boolean {
    if (this.rows === 0) return false;
    if (this.rows >= this.settings.flushRows || this.bytes >= this.settings.flushBytes) return true;
    return this.settings.flushIntervalMs > 0 && Date.now() - this.since >= this.settings.flushIntervalMs;
  }

  /** Appends every buffered line and fsyncs every file written to: after this, all of it is durable. */
  async flush(): Promise<void> {
    const files = [...this.files.values()];
    await Promise.all(files.map((file) => file.write()));
    await Promise.all(files.map((file) => file.sync()));
    this.rows = 0;
    this.bytes = 0;
    this.since = 0;
  }

  async close(): Promise<void> {
    const results = await Promise.allSettled([...this.files.values()].map((file) => file.close()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

/**
 * Appends each stream's records to `<destination_path>/<stream>.jsonl[.gz]` as exact JSON (big integers and
 * decimals keep every digit). Lines are buffered across streams and flushed by rows, bytes or age; a STATE
 * is yielded only once every record before it is written and fsync'ed.
 */
export async function* writeJsonl(config: Config, messages: AsyncIterable<SourceMessage>, ctx: WriteContext): AsyncGenerator<StateMessage> {
  const settings = settingsFrom(config);
  await mkdir(settings.directory, { recursive: true });
  const files = new OpenFiles(settings, ctx, new Date());
  /** The latest STATE not yet released: it waits for the records before it to be durable. */
  let pending: StateMessage | undefined;
  try {
    for await (const message of messages) {
      switch (message.type) {
        case 'SCHEMA':
          assertKeysInSchema(message);
          await files.get(message.stream);
          break;
        case 'RECORD':
        case 'RECORD_BATCH': {
          const file = await files.get(message.stream);
          forEachRecord(message, (record) => files.add(file, stringifyRecord(record)));
          break;
        }
        case 'BATCH': {
          const file = await files.get(message.stream);
          for await (const line of batchRecordLines(message)) {
            files.add(file, line);
            // A batch file can be larger than memory should hold: flush inside it too (no STATE can be due
            // here, the pending one waits for the lines of this message).
            if (files.rows >= settings.flushRows || files.bytes >= settings.flushBytes) await files.flush();
          }
          break;
        }
        case 'STATE':
          if (files.rows === 0) {
            // Everything before it is already durable.
            pending = undefined;
            yield message;
          } else {
            pending = message;
          }
          break;
        default:
          // ACTIVATE_VERSION: an append-only log keeps every version's rows.
          break;
      }
      if (files.due()) {
        await files.flush();
        if (pending) {
          const state = pending;
          pending = undefined;
          yield state;
        }
      }
    }
    await files.flush();
    if (pending) yield pending;
  } finally {
    await files.close();
  }
}
