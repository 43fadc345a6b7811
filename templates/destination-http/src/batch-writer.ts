import { stringifyExactJson, type ConflictMethod, type HttpClient, type Logger, type RecordData } from '@mage-int/core';

/** What the API is told about a stream with each batch. */
export interface StreamTarget {
  keyProperties: string[];
  mode: ConflictMethod;
}

/**
 * Buffers records per stream and POSTs them in batches of `batchSize` to `v1/batches` as
 * `{stream, key_properties, mode, records}`. A batch counts as committed once the API answered 2xx.
 */
export class BatchWriter {
  private readonly buffers = new Map<string, RecordData[]>();
  private buffered = 0;
  /** Records the API accepted, per stream. */
  readonly accepted = new Map<string, number>();

  constructor(
    private readonly client: HttpClient,
    private readonly batchSize: number,
    private readonly logger: Logger,
  ) {}

  get pending(): number {
    return this.buffered;
  }

  pendingFor(stream: string): number {
    return this.buffers.get(stream)?.length ?? 0;
  }

  /** Adds a record; sends a batch when the buffer is full. */
  async add(stream: string, target: StreamTarget, record: RecordData): Promise<void> {
    const buffer = this.buffers.get(stream) ?? [];
    buffer.push(record);
    this.buffers.set(stream, buffer);
    this.buffered++;
    if (buffer.length >= this.batchSize) await this.flushStream(stream, target);
  }

  /** Sends every buffered record of one stream. */
  async flushStream(stream: string, target: StreamTarget): Promise<void> {
    const records = this.buffers.get(stream);
    if (!records || records.length === 0) return;
    // stringifyExactJson keeps bigint and Decimal values exact on the wire.
    await this.client.request({
      method: 'POST',
      path: 'v1/batches',
      body: stringifyExactJson({ stream, key_properties: target.keyProperties, mode: target.mode, records }),
    });
    this.buffers.set(stream, []);
    this.buffered -= records.length;
    this.accepted.set(stream, (this.accepted.get(stream) ?? 0) + records.length);
    this.logger.debug(`stream "${stream}": ${records.length} records accepted`);
  }

  /** Sends everything buffered, stream by stream. */
  async flushAll(targets: ReadonlyMap<string, StreamTarget>): Promise<void> {
    for (const stream of this.buffers.keys()) {
      const target = targets.get(stream);
      if (target) await this.flushStream(stream, target);
    }
  }
}
