import {
  createLogger,
  defineDestination,
  MessageGuard,
  validateConfig,
  secretValues,
  type CheckResult,
  type ConnectorContext,
  type JsonSchema,
  type Logger,
  type SourceMessage,
  type StateMessage,
  type StreamLoadOptions,
  type WriteContext,
} from '@mage-int/core';
import spec from '../spec.json' with { type: 'json' };
import { connect, resolveConfig } from './connection.js';
import type { Config } from './generated/config.js';
import { PostgresLoader } from './postgres-loader.js';

export type { Config } from './generated/config.js';
export { parsePgType, formatPgType, widenPgType, type PgType, type PgKind } from './pg-types.js';
export { fieldType } from './type-map.js';
export { mapColumns, pickName, identifierRules, PG_MAX_IDENTIFIER_BYTES } from './naming.js';
export { escapeCopyText, arrayLiteral, valueEncoder } from './copy-text.js';

const TIMEOUT = Symbol('timeout');

/**
 * Waits for the next message or an age deadline, with one timer per deadline (not per message: a Singer
 * target reads a message per record, and a timer each would cost more than the record). Each wait gets its
 * own promise, so nothing piles up on a long-lived one while input streams in.
 */
class Alarm {
  private at: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private fired = false;
  private waiter: ((value: typeof TIMEOUT) => void) | undefined;

  wait<T>(next: Promise<T>, deadline: number): Promise<T | typeof TIMEOUT> {
    if (this.at !== deadline) {
      this.clear();
      this.at = deadline;
      this.timer = setTimeout(() => {
        this.fired = true;
        this.waiter?.(TIMEOUT);
      }, Math.max(0, deadline - Date.now()));
    }
    if (this.fired) return Promise.resolve(TIMEOUT);
    return new Promise<T | typeof TIMEOUT>((resolve, reject) => {
      this.waiter = resolve;
      next.then(resolve, reject);
    });
  }

  clear(): void {
    clearTimeout(this.timer);
    this.at = undefined;
    this.fired = false;
    this.waiter = undefined;
  }
}

/**
 * Loads messages and yields each STATE once every record before it is committed. Pulls the next message only
 * after the current one is handled (backpressure); while input is idle, uncommitted records are still committed
 * when they reach `batch_max_age_seconds`.
 */
async function* write(config: Config, messages: AsyncIterable<SourceMessage>, ctx: WriteContext): AsyncGenerator<StateMessage> {
  const resolved = resolveConfig(config);
  const loader = await PostgresLoader.open(resolved, { logger: ctx.logger, streams: ctx.streams });
  const iterator = messages[Symbol.asyncIterator]();
  let completed = false;
  let next: Promise<IteratorResult<SourceMessage>> | undefined;
  const alarm = new Alarm();
  try {
    next = iterator.next();
    for (;;) {
      if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error('the run was cancelled');
      const deadline = loader.deadline();
      if (deadline === undefined) alarm.clear();
      const result = deadline === undefined ? await next : await alarm.wait(next, deadline);
      if (result === TIMEOUT) {
        alarm.clear();
        yield* await loader.flush();
        continue;
      }
      if (result.done) break;
      const states = await loader.handle(result.value);
      next = iterator.next();
      yield* states;
    }
    yield* await loader.flush();
    completed = true;
  } finally {
    alarm.clear();
    await loader.close();
    if (!completed) {
      // A read still pending when we stop (a failed age flush) must not surface as an unhandled rejection.
      next?.catch(() => {});
      await iterator.return?.().catch(() => {});
    }
  }
}

async function check(config: Config, _ctx: ConnectorContext): Promise<CheckResult> {
  const resolved = resolveConfig(config);
  let client;
  try {
    client = await connect(resolved);
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
  try {
    const result = await client.query<{ exists: boolean; can_create_schema: boolean; can_use_schema: boolean | null; version: string }>(
      `SELECT n.oid IS NOT NULL AS exists,
              has_database_privilege(current_database(), 'CREATE') AS can_create_schema,
              CASE WHEN n.oid IS NULL THEN NULL ELSE has_schema_privilege(n.oid, 'CREATE') AND has_schema_privilege(n.oid, 'USAGE') END AS can_use_schema,
              current_setting('server_version') AS version
         FROM (SELECT 1) one LEFT JOIN pg_namespace n ON n.nspname = $1`,
      [resolved.schema],
    );
    const row = result.rows[0];
    if (!row) return { ok: false, message: 'the server returned nothing' };
    if (row.exists && !row.can_use_schema) return { ok: false, message: `user ${resolved.username} cannot create tables in schema "${resolved.schema}"` };
    if (!row.exists && !row.can_create_schema) return { ok: false, message: `schema "${resolved.schema}" does not exist and user ${resolved.username} cannot create it` };
    return { ok: true, message: `connected to PostgreSQL ${row.version}, database ${resolved.database}, schema "${resolved.schema}"${row.exists ? '' : ' (will be created)'}` };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  } finally {
    await client.end().catch(() => {});
  }
}

/** The PostgreSQL destination: `destination: {name: postgres, config: …}` in a pipeline, or `destination-postgres` as a Singer target. */
const destination = defineDestination<Config>({
  kind: 'destination',
  name: 'postgres',
  spec: spec as JsonSchema,
  check,
  write,
});

export default destination;

export interface PostgreSQLOptions {
  config: Config;
  logger?: Logger;
}

/**
 * The destination as a class, for scripts: `await new PostgreSQL({config}).write(messages)` loads messages
 * (enforcing the Singer rules, as the runner does) and yields states after commit.
 */
export class PostgreSQL {
  readonly config: Config;
  private readonly logger: Logger;

  constructor(options: PostgreSQLOptions) {
    this.config = validateConfig<Config>(destination.spec, options.config, 'destination postgres');
    this.logger = options.logger ?? createLogger({ secrets: secretValues(destination.spec, this.config), name: 'postgres' });
  }

  check(): Promise<CheckResult> {
    return check(this.config, { logger: this.logger, signal: new AbortController().signal });
  }

  /** Loads `messages`; `streams` sets per-stream conflict methods. Yields each STATE once committed. */
  async *write(messages: AsyncIterable<SourceMessage>, options: { streams?: Record<string, StreamLoadOptions>; signal?: AbortSignal } = {}): AsyncGenerator<StateMessage> {
    const guard = new MessageGuard();
    async function* guarded(): AsyncGenerator<SourceMessage> {
      for await (const message of messages) if (guard.check(message) === 'pass') yield message;
    }
    yield* write(this.config, guarded(), { logger: this.logger, signal: options.signal ?? new AbortController().signal, streams: options.streams ?? {} });
  }
}
