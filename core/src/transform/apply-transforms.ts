import { MageError } from '../errors.js';
import type { RecordBatchMessage, SourceMessage } from '../protocol/messages.js';
import { TransformError, type Transform } from './transform.js';

/** A transform and the streams it applies to (all when `matches` is absent). */
export interface TransformStage {
  transform: Transform;
  matches?: (stream: string) => boolean;
}

export interface ApplyTransformsOptions {
  /** A stream's records now go (also) to `to`: the runner gives `to` the load options of `from`. */
  onRoute?: (from: string, to: string) => void;
}

/** Runs one message through one stage; the stage remembers where each of its streams goes. */
class StageRunner {
  /** Input stream → the streams its last SCHEMA became (only for streams the transform applies to). */
  private readonly routes = new Map<string, string[]>();

  constructor(
    private readonly stage: TransformStage,
    private readonly options: ApplyTransformsOptions,
  ) {}

  async step(message: SourceMessage): Promise<SourceMessage[]> {
    switch (message.type) {
      case 'SCHEMA': {
        if (this.stage.matches && !this.stage.matches(message.stream)) return [message];
        const out = await this.guardedAsync(message.stream, () => this.stage.transform.schema(message));
        this.routes.set(
          message.stream,
          out.map((s) => s.stream),
        );
        for (const s of out) if (s.stream !== message.stream) this.options.onRoute?.(message.stream, s.stream);
        return out;
      }
      case 'RECORD':
      case 'RECORD_BATCH':
        return this.records(message);
      case 'ACTIVATE_VERSION': {
        const to = this.routes.get(message.stream);
        return to ? to.map((stream) => ({ ...message, stream })) : [message];
      }
      case 'BATCH':
        if (this.routes.has(message.stream)) {
          throw new TransformError(
            this.stage.transform.name,
            'TRANSFORM_BATCH_UNSUPPORTED',
            'BATCH messages (records in files) cannot be transformed',
            {
              stream: message.stream,
              hint: 'configure the tap to emit RECORD messages, or leave this stream out of the transform (streams:)',
            },
          );
        }
        return [message];
      default:
        return [message];
    }
  }

  private async records(message: Extract<SourceMessage, { type: 'RECORD' | 'RECORD_BATCH' }>): Promise<SourceMessage[]> {
    if (!this.routes.has(message.stream)) return [message];
    const batch: RecordBatchMessage =
      message.type === 'RECORD_BATCH'
        ? message
        : {
            type: 'RECORD_BATCH',
            stream: message.stream,
            records: [message.record],
            ...(message.version !== undefined ? { version: message.version } : {}),
            ...(message.time_extracted !== undefined ? { time_extracted: message.time_extracted } : {}),
          };
    const out = await this.guardedAsync(message.stream, () => this.stage.transform.records(batch));
    const sent: SourceMessage[] = [];
    for (const o of out) {
      if (o.records.length === 0) continue;
      // Native rows describe the records as read: only unchanged records may keep them.
      const changed = o.records !== batch.records && o.native !== undefined;
      const clean: RecordBatchMessage = changed ? withoutNative(o) : o;
      if (message.type === 'RECORD' && clean.records.length === 1) {
        const { records, native: _native, type: _type, ...rest } = clean;
        sent.push({ ...rest, type: 'RECORD', record: records[0]! });
      } else sent.push(clean);
    }
    return sent;
  }

  private async guardedAsync<T>(stream: string, fn: () => T | Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw this.named(error, stream);
    }
  }

  /** Every error leaving a transform names it and the stream. */
  private named(error: unknown, stream: string): TransformError {
    if (error instanceof TransformError) return error;
    const name = this.stage.transform.name;
    if (error instanceof MageError) {
      return new TransformError(name, error.code, error.message, {
        stream: error.stream === undefined ? stream : undefined,
        hint: error.hint,
        cause: error,
      });
    }
    return new TransformError(name, 'TRANSFORM_FAILED', (error as Error)?.message ?? String(error), { stream, cause: error });
  }

  close(): Promise<void> | undefined {
    return this.stage.transform.close?.();
  }
}

function withoutNative(message: RecordBatchMessage): RecordBatchMessage {
  const { native: _native, ...rest } = message;
  return rest;
}

/**
 * Sends `messages` through `stages` in order. STATE passes every stage untouched and in its place; SCHEMA, records
 * and ACTIVATE_VERSION of the streams a stage applies to go through its transform (renamed, split, dropped or
 * changed), the others pass by. Every transform is closed when the stream ends or fails.
 */
export async function* applyTransforms(
  messages: AsyncIterable<SourceMessage>,
  stages: readonly TransformStage[],
  options: ApplyTransformsOptions = {},
): AsyncGenerator<SourceMessage> {
  if (stages.length === 0) return yield* messages;
  const runners = stages.map((stage) => new StageRunner(stage, options));
  try {
    for await (const message of messages) {
      if (message.type === 'STATE') {
        yield message;
        continue;
      }
      let current: SourceMessage[] = [message];
      for (const runner of runners) {
        const next: SourceMessage[] = [];
        for (const m of current) for (const out of await runner.step(m)) next.push(out);
        current = next;
        if (current.length === 0) break;
      }
      yield* current;
    }
  } finally {
    await Promise.all(runners.map((r) => r.close()));
  }
}
