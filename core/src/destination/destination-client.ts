import { validateConfig } from '../connector/config.js';
import type { CheckResult, ConnectorContext, Destination, StreamLoadOptions, WriteContext } from '../connector/contract.js';
import { silentLogger, type Logger } from '../connector/logger.js';
import { MessageGuard } from '../protocol/message-guard.js';
import type { SourceMessage, StateMessage } from '../protocol/messages.js';

export interface DestinationClientOptions<Config> {
  config?: Config;
  logger?: Logger;
  signal?: AbortSignal;
}

export interface DestinationWriteOptions {
  /** Per-stream load rules (`{orders: {conflictMethod: 'ignore'}}`). */
  streams?: Record<string, StreamLoadOptions>;
  /** Commit pending records at least this often (seconds), as follow mode does. */
  maxLagSeconds?: number;
  /** Check every record against its stream's schema (default true), as `mage-int run --validate` does. */
  validateRecords?: boolean;
  signal?: AbortSignal;
}

/**
 * The programmatic face of a destination, for scripts: `new PostgreSQL({config}).write(messages)`. Config is
 * validated (defaults filled, deprecated setting names moved to the new ones with a warning) on construction.
 * `write` enforces the Singer rules on its input as the runner does (SCHEMA before records, key properties
 * present, records matching their schema) and yields each STATE once the records before it are committed.
 * Connector packages export a subclass named after the system; it mirrors SourceClient.
 */
export class DestinationClient<Config> {
  readonly config: Config;
  readonly context: ConnectorContext;

  constructor(
    readonly destination: Destination<Config>,
    options: DestinationClientOptions<Config> = {},
  ) {
    const logger = options.logger ?? silentLogger;
    this.config = validateConfig<Config>(destination.spec, options.config ?? {}, `destination ${destination.name}`, (message) =>
      logger.warn(message),
    );
    this.context = { logger, signal: options.signal ?? new AbortController().signal };
  }

  check(): Promise<CheckResult> {
    return this.destination.check(this.config, this.context);
  }

  /** Loads `messages` (an array, a generator, a source's read); yields each STATE once committed. */
  async *write(
    messages: AsyncIterable<SourceMessage> | Iterable<SourceMessage>,
    options: DestinationWriteOptions = {},
  ): AsyncGenerator<StateMessage> {
    const guard = new MessageGuard({ validateRecords: options.validateRecords ?? true });
    async function* guarded(): AsyncGenerator<SourceMessage> {
      for await (const message of messages) if (guard.check(message) === 'pass') yield message;
    }
    const ctx: WriteContext = {
      ...this.context,
      ...(options.signal ? { signal: options.signal } : {}),
      streams: options.streams ?? {},
      ...(options.maxLagSeconds !== undefined ? { maxLagSeconds: options.maxLagSeconds } : {}),
    };
    yield* this.destination.write(this.config, guarded(), ctx);
  }

  /** Loads `messages` to the end and returns the STATE values released, in order. */
  async load(messages: AsyncIterable<SourceMessage> | Iterable<SourceMessage>, options: DestinationWriteOptions = {}): Promise<unknown[]> {
    const states: unknown[] = [];
    for await (const state of this.write(messages, options)) states.push(state.value);
    return states;
  }
}
