import { mkdir } from 'node:fs/promises';
import {
  validateConfig,
  stringifyRecord,
  writeWithSession,
  type DestinationSession,
  type RecordBatch,
  type SessionControl,
  type SourceMessage,
  type StateMessage,
  type StreamInfo,
  type WriteContext,
  type JsonSchema,
} from '@mage-int/core';
import spec from '../spec.json' with { type: 'json' };
import { FileNames, timestampSuffix, type Compression } from './file-names.js';
import type { Config, ResolvedConfig } from './generated/config.js';
import { StreamFile } from './stream-file.js';

/** The config with defaults applied (the batching limits are read by the kit from the shared setting names). */
export interface JsonlSettings {
  directory: string;
  compression: Compression;
  timestampFiles: boolean;
}

/** The settings of a config, its defaults filled from the spec (validateConfig; throws ConfigError). */
export function settingsFrom(input: Config): JsonlSettings {
  const config = validateConfig<ResolvedConfig>(spec as JsonSchema, input, 'destination jsonl');
  return { directory: config.destination_path, compression: config.compression, timestampFiles: config.do_timestamp_file };
}

/** The JSON Lines session of the destination kit: one open file per stream; a commit writes and fsyncs them all. */
class JsonlSession implements DestinationSession {
  private readonly files = new Map<string, StreamFile>();
  private readonly names: FileNames;
  private bytes = 0;

  constructor(
    private readonly settings: JsonlSettings,
    private readonly control: SessionControl,
    private readonly asked: WriteContext['streams'],
    startedAt: Date,
  ) {
    this.names = new FileNames(settings.compression, settings.timestampFiles ? timestampSuffix(startedAt) : '');
  }

  async openStream(stream: StreamInfo): Promise<void> {
    if (this.files.has(stream.name)) return;
    const file = await StreamFile.open(
      this.settings.directory,
      this.names.forStream(stream.name),
      stream.name,
      this.settings.compression,
      this.control.logger,
    );
    this.files.set(stream.name, file);
    this.control.logger.debug(`writing ${stream.name} to ${file.path}`);
    const method = this.asked[stream.name]?.conflictMethod;
    if (method !== undefined && method !== 'append') {
      this.control.logger.warn(`JSON Lines files are append-only: every record is written, the "${method}" conflict rule does not apply`, {
        stream: stream.name,
      });
    }
  }

  async write(batch: RecordBatch): Promise<void> {
    const file = this.files.get(batch.stream) as StreamFile;
    for (const record of batch.records) {
      const line = stringifyRecord(record);
      file.push(line);
      this.bytes += line.length + 1;
    }
  }

  uncommittedBytes(): number {
    return this.bytes;
  }

  /** Appends every buffered line and fsyncs every file written to: after this, all of it is durable. */
  async commit(): Promise<void> {
    const files = [...this.files.values()];
    await Promise.all(files.map((file) => file.write()));
    await Promise.all(files.map((file) => file.sync()));
    this.bytes = 0;
  }

  async close(): Promise<void> {
    const results = await Promise.allSettled([...this.files.values()].map((file) => file.close()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

/**
 * Appends each stream's records to `<destination_path>/<stream>.jsonl[.gz]` as exact JSON (big integers and
 * decimals keep every digit), through the destination kit's batching writer: lines are buffered across streams
 * and committed (written and fsync'ed) by rows, bytes or age; a STATE is yielded only once every record before
 * it is durable. ACTIVATE_VERSION is passed over: an append-only log keeps every version's rows.
 */
export function writeJsonl(config: Config, messages: AsyncIterable<SourceMessage>, ctx: WriteContext): AsyncGenerator<StateMessage> {
  const settings = settingsFrom(config);
  return writeWithSession(
    config,
    messages,
    ctx,
    async (control) => {
      await mkdir(settings.directory, { recursive: true });
      return new JsonlSession(settings, control, ctx.streams, new Date());
    },
    { maxRows: 10_000, maxBytes: 64 * 1024 * 1024, maxAgeMs: 60_000 },
  );
}
