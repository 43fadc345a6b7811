import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DuckDBInstance, type DuckDBAppender, type DuckDBConnection, type Json } from '@duckdb/node-api';
import { ConnectorError } from '@mage-int/core';

export const MEMORY = ':memory:';

/**
 * Opens the database at `path`. Files go through DuckDB's in-process instance cache, so a program that loads
 * and queries the same file at once shares one database instead of fighting over its lock.
 */
export async function openInstance(path: string): Promise<DuckDBInstance> {
  try {
    if (path === MEMORY) return await DuckDBInstance.create(MEMORY);
    await makeDirectory(dirname(path));
    return await DuckDBInstance.fromCache(path);
  } catch (error) {
    throw new ConnectorError('DUCKDB_OPEN_FAILED', `cannot open DuckDB database ${path}: ${(error as Error).message}`, {
      cause: error,
      hint: /lock/i.test((error as Error).message)
        ? 'another process (a DuckDB shell, a notebook, another load) holds the file open; close it and retry'
        : 'check that the path is a writable DuckDB file (set "path" in the destination config)',
    });
  }
}

/**
 * `mkdir -p` one level at a time. Node's recursive mkdir never returns for some unwritable parents (under /proc it
 * retries forever), which turned a mistyped path into a run that hung instead of failing.
 */
async function makeDirectory(directory: string): Promise<void> {
  const exists = await stat(directory).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (exists) return;
  const parent = dirname(directory);
  if (parent !== directory) await makeDirectory(parent);
  await mkdir(directory).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
}

/**
 * The transaction direct loads run in (rows inserted straight into their tables since the last commit). DuckDB has
 * no savepoints and a failed statement aborts its transaction, so while the window holds only statements that can
 * run again (`replay`), a refused one is rolled back and the others are run again; any other statement in it
 * (DDL, staging, an appender's rows) makes it unreplayable, and a statement that may be refused then commits it first.
 */
interface Window {
  replay: string[] | undefined;
  /** Run once the window ends (committed or rolled back for good): removes the files its statements read. */
  ended: (() => Promise<void>)[];
}

/** One connection to a DuckDB database: statements, queries, transactions and appenders. */
export class Session {
  private window?: Window;
  /** A statement running while JavaScript goes on (`background`): every other call waits for it first. */
  private inflight?: Promise<unknown>;

  private constructor(
    readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly ownsInstance: boolean,
  ) {}

  /** Connects to `instance`, or opens the database at `path` (and closes it again on `close`). */
  static async open(path: string, instance?: DuckDBInstance): Promise<Session> {
    const db = instance ?? (await openInstance(path));
    const connection = await db.connect();
    // Timestamps without an offset mean UTC, whatever the machine's zone.
    await connection.run("SET SESSION TimeZone = 'UTC'");
    return new Session(db, connection, instance === undefined);
  }

  async run(sql: string): Promise<number> {
    await this.idle();
    this.taint();
    const result = await this.connection.run(sql);
    return result.rowsChanged;
  }

  /** True while direct loads wait for the commit. */
  get inWindow(): boolean {
    return this.window !== undefined;
  }

  /**
   * Runs a statement DuckDB may refuse (a value its reader cannot take). With `window` it joins the transaction of
   * direct loads, opening it; with `replay` too, it can run again after a refusal (it reads files that stay until
   * `ended` runs). Without either it runs outside a transaction, or inside a window of replayable statements only
   * (an unreplayable window is committed first). A refusal leaves everything else as it was: the window is rolled
   * back and its replayable statements run again (the refused statement's files are the caller's again).
   */
  async attempt(sql: string, options: AttemptOptions = {}): Promise<number> {
    await this.idle();
    return this.attemptNow(sql, options);
  }

  /**
   * `attempt` without waiting for it: DuckDB runs the statement on its threads while JavaScript goes on (the next
   * chunk of rows is written meanwhile). The promise settles with its outcome; the session's next call waits for it.
   */
  background(sql: string, options: AttemptOptions = {}): Promise<number> {
    // After the statement before it (whose outcome is its caller's), not after itself.
    const done = (this.inflight ?? Promise.resolve()).then(() => this.attemptNow(sql, options));
    this.inflight = done.catch(() => undefined);
    return done;
  }

  /** Waits for the statement running in the background, if any (its outcome is its caller's). */
  async idle(): Promise<void> {
    while (this.inflight !== undefined) {
      const inflight = this.inflight;
      await inflight;
      if (this.inflight === inflight) this.inflight = undefined;
    }
  }

  private async attemptNow(sql: string, options: AttemptOptions): Promise<number> {
    const { replay: replayable = false, ended } = options;
    if (this.window && this.window.replay === undefined) await this.endWindowNow(true);
    if (!this.window && (options.window || replayable)) {
      await this.connection.run('BEGIN TRANSACTION');
      this.window = { replay: [], ended: [] };
    }
    const window = this.window;
    const unordered = options.unordered === true && this.ownsInstance;
    try {
      if (unordered) await this.connection.run('SET preserve_insertion_order = false');
      const result = await this.connection.run(sql);
      if (unordered) await this.connection.run('SET preserve_insertion_order = true');
      if (window && replayable) {
        window.replay?.push(sql);
        if (ended) window.ended.push(ended);
      } else if (window) window.replay = undefined;
      return result.rowsChanged;
    } catch (error) {
      // The setting back, after the ROLLBACK (an aborted transaction takes no statement); the refusal is the error to report.
      const ordered = async () => {
        if (unordered) await this.connection.run('SET preserve_insertion_order = true').catch(() => undefined);
      };
      if (!window) {
        await ordered();
        throw error;
      }
      await this.connection.run('ROLLBACK').catch(() => undefined);
      await ordered();
      this.window = undefined;
      const replay = window.replay ?? [];
      if (replay.length > 0) {
        await this.connection.run('BEGIN TRANSACTION');
        this.window = { replay: [], ended: window.ended };
        for (const statement of replay) {
          await this.connection.run(statement);
          this.window.replay?.push(statement);
        }
      } else {
        await runAll(window.ended);
      }
      throw error;
    }
  }

  /** Ends the window of direct loads: commits it (`commit`) or rolls it back. */
  async endWindow(commit: boolean): Promise<void> {
    await this.idle();
    await this.endWindowNow(commit);
  }

  private async endWindowNow(commit: boolean): Promise<void> {
    const window = this.window;
    if (!window) return;
    this.window = undefined;
    try {
      await this.connection.run(commit ? 'COMMIT' : 'ROLLBACK');
    } finally {
      await runAll(window.ended);
    }
  }

  /** A statement other than a replayable one joins the window: it cannot be run again after a refusal. */
  private taint(): void {
    if (this.window) this.window.replay = undefined;
  }

  async rows(sql: string): Promise<Record<string, Json>[]> {
    await this.idle();
    const reader = await this.connection.runAndReadAll(sql);
    return reader.getRowObjectsJson();
  }

  /** Runs `fn` in one transaction (the window of direct loads, when open): all of it commits, or none of it. */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    await this.idle();
    const window = this.window;
    this.window = undefined;
    if (!window) await this.connection.run('BEGIN TRANSACTION');
    try {
      const result = await fn();
      await this.connection.run('COMMIT');
      return result;
    } catch (error) {
      await this.connection.run('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      if (window) await runAll(window.ended);
    }
  }

  async appender(table: string, schema: string, catalog?: string): Promise<DuckDBAppender> {
    await this.idle();
    this.taint();
    return this.connection.createAppender(table, schema, catalog);
  }

  /** Flushes and closes an appender (its rows join the window of direct loads, when open). */
  async closeAppender(appender: DuckDBAppender): Promise<void> {
    await this.idle();
    this.taint();
    appender.closeSync();
  }

  /** Closes the connection; with `checkpoint`, first folds the write-ahead log into the database file. */
  async close(checkpoint = false): Promise<void> {
    try {
      await this.idle();
      // Direct loads not committed by now belong to a failed load.
      await this.endWindowNow(false);
      if (checkpoint) await this.connection.run('CHECKPOINT');
    } finally {
      this.connection.closeSync();
      if (this.ownsInstance) this.instance.closeSync();
    }
  }
}

interface AttemptOptions {
  /** Join (or open) the transaction of direct loads. */
  window?: boolean;
  /** The statement can run again after a refusal in the same window (implies `window`). */
  replay?: boolean;
  /** Runs once the window ends (a replayable statement's files). */
  ended?: () => Promise<void>;
  /**
   * The rows may land in any order (an append whose rows carry their own order, if any): the statement runs with
   * `preserve_insertion_order` off, only on an instance the session opened itself (the setting is the instance's).
   */
  unordered?: boolean;
}

async function runAll(tasks: readonly (() => Promise<void>)[]): Promise<void> {
  for (const task of tasks) await task();
}
