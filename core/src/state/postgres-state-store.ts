import { hostname } from 'node:os';
import type pg from 'pg';
import { ConfigError, MageError } from '../errors.js';
import { parseExactJson, stringifyExactJson } from '../protocol/exact-json.js';
import { StateLockedError, type LockHolder, type StateLock } from './state-lock.js';
import type { StateStore } from './state-store.js';
import { toState, type State } from './state.js';

/** Where a PostgreSQL state store keeps its table (`state: {backend: postgres, url, schema, table}` in a pipeline file). */
export interface PostgresStateOptions {
  /** A PostgreSQL connection URL (`postgres://user:password@host:5432/db`). */
  url: string;
  /** Default `public`. */
  schema?: string;
  /** One table per project, a row per pipeline and stream. Default `mage_int_state`. */
  table?: string;
}

/** Another run wrote a stream's state since this run read it: saving would silently undo its progress. */
export class StateConflictError extends MageError {
  constructor(
    readonly pipelineId: string,
    stream: string,
  ) {
    super(
      'STATE_CONFLICT',
      `the state of pipeline "${pipelineId}"${stream ? '' : ' (its top-level keys)'} was changed by another run since this run read it`,
      {
        stream: stream || undefined,
        hint: "two runs of the same pipeline (or stream) wrote its state at once; this run stopped without saving, so the other run's state stands. See `mage-int runs`",
      },
    );
  }
}

/** The row of the state's top-level keys (`currently_syncing`, a foreign tap's own keys); streams have a row each. */
const TOP = '';

interface Row {
  text: string;
  version: number;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

function quoteIdentifier(name: string, what: string): string {
  if (!IDENTIFIER.test(name)) {
    throw new ConfigError('STATE_TABLE_INVALID', `state ${what} "${name}" is not a plain SQL identifier`, {
      field: `state.${what}`,
      hint: 'use letters, digits and _',
    });
  }
  return `"${name}"`;
}

/** The state split into rows: one per stream bookmark, and the top-level keys. */
function rowsOf(state: State): Map<string, string> {
  const { bookmarks, ...top } = state;
  const rows = new Map<string, string>();
  for (const [stream, bookmark] of Object.entries(bookmarks)) rows.set(stream, stringifyExactJson(bookmark));
  rows.set(TOP, stringifyExactJson(top));
  return rows;
}

/**
 * Keeps every pipeline's state in one PostgreSQL table, so workers on several machines share it. A save is one
 * transaction that writes only the rows (stream bookmarks) that changed since this store read them, each compared
 * with the version it read (compare-and-set): runs of different streams of one pipeline merge, and a run that
 * would overwrite another's progress fails with StateConflictError instead. Locks are PostgreSQL advisory locks on
 * the run's own connection, so a killed run's lock goes with its connection.
 */
export class PostgresStateStore implements StateStore {
  private readonly table: string;
  private readonly locksTable: string;
  private readonly qualifiedName: string;
  /** What this store last read or wrote, per pipeline: the versions its compare-and-set expects. */
  private readonly baselines = new Map<string, Map<string, Row>>();
  private pool: pg.Pool | undefined;
  private ready: Promise<void> | undefined;

  constructor(
    private readonly options: PostgresStateOptions,
    /** Only these streams' rows are written (a run of some streams of a pipeline); undefined: every stream. */
    private readonly scope?: readonly string[],
    shared?: PostgresStateStore,
  ) {
    const schema = quoteIdentifier(options.schema ?? 'public', 'schema');
    const table = options.table ?? 'mage_int_state';
    this.table = `${schema}.${quoteIdentifier(table, 'table')}`;
    this.locksTable = `${schema}.${quoteIdentifier(`${table}_locks`, 'table')}`;
    this.qualifiedName = `${options.schema ?? 'public'}.${table}`;
    if (shared) {
      this.pool = shared.pool;
      this.ready = shared.ready;
    }
  }

  /** The same table, writing only the given streams' bookmarks and locking only them (plus a shared lock on the pipeline). */
  forStreams(streams: readonly string[]): PostgresStateStore {
    return new PostgresStateStore(this.options, [...streams].sort(), this);
  }

  private async connect(): Promise<pg.Pool> {
    if (!this.pool) {
      const { default: pgModule } = await import('pg');
      // Idle clients must not keep a finished CLI process alive.
      this.pool = new pgModule.Pool({
        connectionString: this.options.url,
        max: 2,
        idleTimeoutMillis: 1000,
        allowExitOnIdle: true,
        application_name: 'mage-int state',
      });
    }
    this.ready ??= this.createTables(this.pool);
    await this.ready;
    return this.pool;
  }

  private async createTables(pool: pg.Pool): Promise<void> {
    const client = await pool.connect();
    try {
      await client.query('begin');
      // Several workers may start at once: CREATE … IF NOT EXISTS alone races on the catalog.
      await client.query('select pg_advisory_xact_lock(hashtext($1))', [`mage-int state tables ${this.qualifiedName}`]);
      await client.query(`create table if not exists ${this.table} (
        pipeline_id text not null,
        stream text not null,
        value jsonb not null,
        version bigint not null,
        updated_at timestamptz not null default now(),
        primary key (pipeline_id, stream))`);
      await client.query(`create table if not exists ${this.locksTable} (
        pipeline_id text not null,
        scope text not null,
        holder jsonb not null,
        primary key (pipeline_id, scope))`);
      await client.query('commit');
    } catch (error) {
      await client.query('rollback').catch(() => {});
      throw this.connectionError(error);
    } finally {
      client.release();
    }
  }

  private connectionError(error: unknown): Error {
    if (error instanceof MageError) return error;
    return new ConfigError(
      'STATE_BACKEND_UNAVAILABLE',
      `cannot use the PostgreSQL state store ${this.describe('')}: ${(error as Error).message}`,
      {
        cause: error,
        hint: 'check state.url in the pipeline file (and that the user may create tables in its schema)',
      },
    );
  }

  async load(pipelineId: string): Promise<State | undefined> {
    const pool = await this.connect();
    const result = await pool.query<{ stream: string; value: string; version: string }>(
      `select stream, value::text as value, version from ${this.table} where pipeline_id = $1`,
      [pipelineId],
    );
    const baseline = new Map<string, Row>();
    let top: Record<string, unknown> = {};
    const bookmarks: Record<string, unknown> = {};
    for (const row of result.rows) {
      baseline.set(row.stream, { text: stringifyExactJson(parseExactJson(row.value)), version: Number(row.version) });
      if (row.stream === TOP) top = parseExactJson(row.value) as Record<string, unknown>;
      else bookmarks[row.stream] = parseExactJson(row.value);
    }
    this.baselines.set(pipelineId, baseline);
    if (result.rows.length === 0) return undefined;
    return toState({ ...top, bookmarks });
  }

  private inScope(stream: string): boolean {
    return !this.scope || stream === TOP || this.scope.includes(stream);
  }

  async save(pipelineId: string, state: State): Promise<void> {
    const pool = await this.connect();
    let baseline = this.baselines.get(pipelineId);
    // Never read by this store (`state set`): replace what is there, whatever its version.
    const blindWrite = baseline === undefined;
    const rows = rowsOf(state);
    const client = await pool.connect();
    const next = new Map(baseline);
    try {
      await client.query('begin');
      if (!baseline) {
        const current = await client.query<{ stream: string; version: string }>(
          `select stream, version from ${this.table} where pipeline_id = $1 for update`,
          [pipelineId],
        );
        baseline = new Map(current.rows.map((r) => [r.stream, { text: '', version: Number(r.version) }]));
      }
      // Rows in one order in every transaction: concurrent saves never deadlock. The top-level row goes last.
      const streams = [...new Set([...rows.keys(), ...(baseline?.keys() ?? [])])]
        .filter((s) => this.inScope(s))
        .sort((a, b) => (a === TOP ? 1 : b === TOP ? -1 : a < b ? -1 : 1));
      for (const stream of streams) {
        const text = rows.get(stream);
        const before = baseline?.get(stream);
        if (before && before.text === text) continue;
        // A run of some streams shares the top-level keys with its sibling runs: the last one to save sets them.
        const blind = blindWrite || (stream === TOP && this.scope !== undefined);
        if (text === undefined) {
          const deleted = await client.query(
            `delete from ${this.table} where pipeline_id = $1 and stream = $2${blind ? '' : ' and version = $3'}`,
            blind ? [pipelineId, stream] : [pipelineId, stream, before?.version],
          );
          if (!blind && deleted.rowCount !== 1) throw new StateConflictError(pipelineId, stream);
          next.delete(stream);
          continue;
        }
        let written: { version: string }[];
        if (blind) {
          written = (
            await client.query<{ version: string }>(
              `insert into ${this.table} as t (pipeline_id, stream, value, version) values ($1, $2, $3::jsonb, 1)
               on conflict (pipeline_id, stream) do update set value = excluded.value, version = t.version + 1, updated_at = now() returning version`,
              [pipelineId, stream, text],
            )
          ).rows;
        } else if (before) {
          written = (
            await client.query<{ version: string }>(
              `update ${this.table} set value = $3::jsonb, version = version + 1, updated_at = now() where pipeline_id = $1 and stream = $2 and version = $4 returning version`,
              [pipelineId, stream, text, before.version],
            )
          ).rows;
        } else {
          written = (
            await client.query<{ version: string }>(
              `insert into ${this.table} (pipeline_id, stream, value, version) values ($1, $2, $3::jsonb, 1) on conflict (pipeline_id, stream) do nothing returning version`,
              [pipelineId, stream, text],
            )
          ).rows;
        }
        if (written.length !== 1) throw new StateConflictError(pipelineId, stream);
        next.set(stream, { text, version: Number(written[0]!.version) });
      }
      await client.query('commit');
      this.baselines.set(pipelineId, next);
    } catch (error) {
      await client.query('rollback').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  async clear(pipelineId: string): Promise<void> {
    const pool = await this.connect();
    if (this.scope)
      await pool.query(`delete from ${this.table} where pipeline_id = $1 and stream = any($2::text[])`, [pipelineId, this.scope]);
    else await pool.query(`delete from ${this.table} where pipeline_id = $1`, [pipelineId]);
    this.baselines.delete(pipelineId);
  }

  describe(pipelineId: string): string {
    let where = 'postgres';
    try {
      const url = new URL(this.options.url);
      where = `${url.protocol}//${url.username ? `${decodeURIComponent(url.username)}@` : ''}${url.host}${url.pathname}`;
    } catch {
      // Not a URL (a libpq keyword string): say only which table.
    }
    return `${where} ${this.qualifiedName}${pipelineId ? ` (pipeline ${pipelineId}${this.scope ? `, streams ${this.scope.join(', ')}` : ''})` : ''}`;
  }

  /**
   * A whole-pipeline run takes the pipeline's lock exclusively; a run of some streams takes it shared plus each
   * stream's exclusively, so runs of different streams go on together and never beside a whole-pipeline run.
   */
  async lock(pipelineId: string): Promise<StateLock> {
    await this.connect();
    const { default: pgModule } = await import('pg');
    const client = new pgModule.Client({ connectionString: this.options.url, application_name: 'mage-int state lock' });
    client.on('error', () => {}); // a lost lock connection surfaces as a failed save or release, not as a crash
    await client.connect();
    const holder: LockHolder & { backend_pid: number; streams?: string[] } = {
      pid: process.pid,
      host: hostname(),
      started_at: new Date().toISOString(),
      backend_pid: Number((await client.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid),
      ...(this.scope ? { streams: [...this.scope] } : {}),
    };
    // Shared with the pipeline's lock first, so a whole-pipeline run and a run of some streams exclude each other.
    const attempts: [string, string][] = this.scope
      ? [[TOP, 'pg_try_advisory_lock_shared'], ...this.scope.map((s): [string, string] => [s, 'pg_try_advisory_lock'])]
      : [[TOP, 'pg_try_advisory_lock']];
    try {
      for (const [scope, fn] of attempts) {
        const taken = await client.query<{ ok: boolean }>(`select ${fn}(hashtext($1)) as ok`, [
          JSON.stringify([this.qualifiedName, pipelineId, scope]),
        ]);
        if (!taken.rows[0]?.ok) throw await this.lockedError(client, pipelineId, scope);
      }
      await client.query(
        `insert into ${this.locksTable} (pipeline_id, scope, holder) values ($1, $2, $3::jsonb) on conflict (pipeline_id, scope) do update set holder = excluded.holder`,
        [pipelineId, this.scope ? this.scope.join(',') : TOP, JSON.stringify(holder)],
      );
    } catch (error) {
      await client.end().catch(() => {});
      throw error instanceof MageError ? error : this.connectionError(error);
    }
    return {
      holder,
      release: async () => {
        try {
          await client.query(`delete from ${this.locksTable} where pipeline_id = $1 and (holder->>'backend_pid')::int = pg_backend_pid()`, [
            pipelineId,
          ]);
          await client.query('select pg_advisory_unlock_all()');
        } finally {
          await client.end().catch(() => {});
        }
      },
    };
  }

  /** Names the live holder of the pipeline's lock: recorded holders whose lock connection is still open. */
  private async lockedError(client: pg.Client, pipelineId: string, stream: string): Promise<StateLockedError> {
    const held = await client.query<{ holder: LockHolder & { streams?: string[] } }>(
      `select holder from ${this.locksTable} l where pipeline_id = $1 and exists (select 1 from pg_stat_activity a where a.pid = (l.holder->>'backend_pid')::int)`,
      [pipelineId],
    );
    // The holder in the way: of the whole pipeline, or of this stream.
    const holders = held.rows.map((r) => r.holder);
    const holder = holders.find((h) => (stream === TOP ? !h.streams : !h.streams || h.streams.includes(stream))) ??
      holders[0] ?? { pid: 0, host: '(unknown)', started_at: '' };
    const what = holder.streams ? `streams ${holder.streams.join(', ')} of pipeline "${pipelineId}"` : `pipeline "${pipelineId}"`;
    return new StateLockedError(
      `${what} already running: process ${holder.pid} on ${holder.host}, started ${holder.started_at}, holds its state (${this.describe('')})`,
      holder,
      'wait for that run to finish; its lock ends with its database connection, so a killed run frees it at once',
    );
  }

  /** Closes the store's connections (a long-lived process that is done with it). */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    this.ready = undefined;
    await pool?.end();
  }
}
