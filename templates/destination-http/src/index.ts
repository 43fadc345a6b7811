import {
  bearerAuth,
  defineDestination,
  HttpClient,
  ProtocolError,
  forEachRecord,
  silentLogger,
  validateConfig,
  type ConnectorContext,
  type JsonSchema,
  type SourceMessage,
  type StateMessage,
  type StreamLoadOptions,
} from '@mage-int/core';
import spec from '../spec.json' with { type: 'json' };
import { BatchWriter, type StreamTarget } from './batch-writer.js';
import type { Config } from './generated/config.js';

export type { Config } from './generated/config.js';

/** The source kit's HTTP client: bearer auth, retries with backoff honouring Retry-After, a timeout per request. */
function clientFor(config: Config, ctx: ConnectorContext): HttpClient {
  return new HttpClient({
    baseUrl: config.base_url,
    auth: bearerAuth(config.api_key, 'api_key'),
    maxRetries: config.max_retries ?? 5,
    timeoutMs: (config.request_timeout_seconds ?? 30) * 1000,
    logger: ctx.logger,
    signal: ctx.signal,
  });
}

/** The __TITLE__ destination connector. */
const destination = defineDestination<Config>({
  kind: 'destination',
  name: '__NAME__',
  spec: spec as JsonSchema,

  async check(config, ctx) {
    try {
      await clientFor(config, ctx).getJson('v1/health');
      return { ok: true };
    } catch (error) {
      return { ok: false, message: (error as Error).message };
    }
  },

  /**
   * Buffers records and POSTs them in batches; at each STATE every buffered record is sent first, and the
   * STATE is yielded only once the API accepted them, so a saved state never runs ahead of the data.
   */
  async *write(config, messages, ctx): AsyncGenerator<StateMessage> {
    const writer = new BatchWriter(clientFor(config, ctx), config.batch_size_rows ?? 500, ctx.logger);
    const targets = new Map<string, StreamTarget>();
    const modeOf = (stream: string, keys: string[]) =>
      (ctx.streams[stream] as StreamLoadOptions | undefined)?.conflictMethod ?? (keys.length > 0 ? 'upsert' : 'append');
    for await (const message of messages as AsyncIterable<SourceMessage>) {
      switch (message.type) {
        case 'SCHEMA': {
          const missing = message.key_properties.filter((key) => message.schema.properties?.[key] === undefined);
          if (missing.length > 0) {
            throw new ProtocolError(
              'KEY_NOT_IN_SCHEMA',
              `key property ${missing.map((k) => `"${k}"`).join(', ')} is not described by the SCHEMA`,
              {
                stream: message.stream,
                hint: 'every key property must appear under schema.properties',
              },
            );
          }
          const previous = targets.get(message.stream);
          // Records buffered under an older schema go out before the new one applies.
          if (previous) await writer.flushStream(message.stream, previous);
          targets.set(message.stream, { keyProperties: message.key_properties, mode: modeOf(message.stream, message.key_properties) });
          break;
        }
        case 'RECORD':
        case 'RECORD_BATCH': {
          const target = targets.get(message.stream) as StreamTarget; // the reader guarantees a SCHEMA came first
          const records: Record<string, unknown>[] = [];
          forEachRecord(message, (record) => records.push(record));
          for (const record of records) await writer.add(message.stream, target, record);
          break;
        }
        case 'STATE':
          await writer.flushAll(targets);
          yield message;
          break;
        default:
          break; // ACTIVATE_VERSION and BATCH are not supported by this API
      }
    }
    await writer.flushAll(targets);
    for (const [stream, count] of writer.accepted) ctx.logger.info(`stream "${stream}": ${count} records loaded`);
  },
});

export default destination;

/** Programmatic use: `new __CLASS__({config}).write(messages)`. */
export class __CLASS__ {
  private readonly config: Config;
  private readonly ctx: ConnectorContext;

  constructor(options: { config: unknown; logger?: ConnectorContext['logger']; signal?: AbortSignal }) {
    this.config = validateConfig<Config>(destination.spec, options.config, 'destination __NAME__');
    this.ctx = { logger: options.logger ?? silentLogger, signal: options.signal ?? new AbortController().signal };
  }

  check() {
    return destination.check(this.config, this.ctx);
  }

  write(messages: AsyncIterable<SourceMessage>, streams: Record<string, StreamLoadOptions> = {}): AsyncIterable<StateMessage> {
    return destination.write(this.config, messages, { ...this.ctx, streams });
  }
}
