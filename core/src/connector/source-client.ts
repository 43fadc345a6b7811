import { emptyState, type State } from '../state/state.js';
import type { Catalog } from '../catalog/catalog.js';
import type { SourceMessage } from '../protocol/messages.js';
import { validateConfig } from './config.js';
import type { CheckResult, ConnectorContext, Source } from './contract.js';
import { silentLogger, type Logger } from './logger.js';

export interface SourceClientOptions<Config> {
  config?: Config;
  logger?: Logger;
  signal?: AbortSignal;
}

/**
 * The programmatic face of a source, for scripts: `new PostgreSQL({config}).discover()`. Config is validated
 * (defaults filled) on construction; every call shares one context, so `commit` reaches the live `read`.
 * Connector packages export a subclass named after the system.
 */
export class SourceClient<Config> {
  readonly config: Config;
  readonly context: ConnectorContext;

  constructor(
    readonly source: Source<Config>,
    options: SourceClientOptions<Config> = {},
  ) {
    const logger = options.logger ?? silentLogger;
    this.config = validateConfig<Config>(source.spec, options.config ?? {}, `source ${source.name}`, (message) => logger.warn(message));
    this.context = { logger, signal: options.signal ?? new AbortController().signal };
  }

  check(): Promise<CheckResult> {
    return this.source.check(this.config, this.context);
  }

  discover(): Promise<Catalog> {
    return this.source.discover(this.config, this.context);
  }

  /** Reads the streams `catalog` selects (the discovered catalog when none is given) from `state`. */
  async *read(catalog?: Catalog, state: State = emptyState()): AsyncGenerator<SourceMessage> {
    yield* this.source.read(this.config, catalog ?? (await this.discover()), state, this.context);
  }

  /** Tells the source that everything up to `state` is stored durably (a log-based source releases it). */
  async commit(state: State): Promise<void> {
    await this.source.commit?.(this.config, state, this.context);
  }
}
