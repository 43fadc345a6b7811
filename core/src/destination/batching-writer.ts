import { rm } from 'node:fs/promises';
import { sep } from 'node:path';
import type { ConflictMethod, WriteContext } from '../connector/contract.js';
import type { Logger } from '../connector/logger.js';
import { ProtocolError } from '../errors.js';
import { stringifyExactJson } from '../protocol/exact-json.js';
import { MessageGuard } from '../protocol/message-guard.js';
import type { BatchMessage, SchemaMessage, SourceMessage, StateMessage } from '../protocol/messages.js';
import { batchDirectories, batchFilePaths, checkBatchFormat, readBatchRecords } from './batch-files.js';
import { batchPolicy, type BatchPolicy, type DestinationSettings } from './destination-settings.js';
import type { CommitReason, DestinationSession, RecordBatch, SessionControl } from './destination-session.js';

/** Opens the destination's session for one write (a connection, open files). */
export type OpenSession = (control: SessionControl) => Promise<DestinationSession>;

export interface BatchingOptions {
  policy: BatchPolicy;
  /** Directories BATCH manifests may name files in (see batchDirectories). */
  batchDirectories: readonly string[];
}

const TIMEOUT = Symbol('timeout');

/**
 * Waits for the next message or an age deadline, with one timer per deadline (not per message: a Singer
 * target may read a message per record, and a timer each would cost more than the record). Each wait gets
 * its own promise, so nothing piles up on a long-lived one while input streams in.
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
      this.timer = setTimeout(
        () => {
          this.fired = true;
          this.waiter?.(TIMEOUT);
        },
        Math.max(0, deadline - Date.now()),
      );
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
 * `writeBatched` with the policy and BATCH directories of a destination config that uses the shared setting
 * names (batch_size_rows, batch_size_bytes, batch_max_age_seconds, batch_dir); `defaults` fill what the config
 * leaves out.
 */
export function writeWithSession(
  config: DestinationSettings,
  messages: AsyncIterable<SourceMessage>,
  ctx: WriteContext,
  openSession: OpenSession,
  defaults?: BatchPolicy,
): AsyncGenerator<StateMessage> {
  return writeBatched(messages, ctx, openSession, {
    policy: batchPolicy(config, ctx, defaults),
    batchDirectories: batchDirectories(config),
  });
}

/** How a stream without key properties loads, whatever the pipeline asked (with a warning when it asked otherwise). */
export function resolveConflictMethod(
  stream: string,
  keys: readonly string[],
  asked: ConflictMethod | undefined,
  logger: Logger,
): ConflictMethod {
  if (keys.length > 0) return asked ?? 'upsert';
  if (asked && asked !== 'append') logger.warn(`stream "${stream}" has no key properties: its records are appended (${asked} needs a key)`);
  return 'append';
}

/** A SCHEMA must describe every field its key_properties name (Singer spec); every destination refuses it alike. */
function assertKeysInSchema(message: SchemaMessage): void {
  const properties = message.schema.properties ?? {};
  for (const key of message.key_properties ?? []) {
    if (!Object.hasOwn(properties, key)) {
      throw new ProtocolError('KEY_NOT_IN_SCHEMA', `key property "${key}" is not among the schema's properties`, {
        stream: message.stream,
        field: key,
        hint: 'every key property must be described under schema.properties',
      });
    }
  }
}

/**
 * The one write loop of every destination on the kit. Pulls a message only once the previous one is handled
 * (backpressure), hands records to `session`, and commits when the uncommitted records reach the policy's
 * rows or bytes, when the oldest of them reaches its age (on a timer, also while input is idle: follow mode's
 * `maxLagSeconds` is folded into the age), before any new or changed SCHEMA, after ACTIVATE_VERSION, and at
 * the end. A STATE is yielded only after the commit covering every record before it. BATCH messages are
 * expanded here (files checked against `batchDirectories`, records against their schema), so every
 * destination reads them alike.
 */
export async function* writeBatched(
  messages: AsyncIterable<SourceMessage>,
  ctx: WriteContext,
  openSession: OpenSession,
  options: BatchingOptions,
): AsyncGenerator<StateMessage> {
  const { policy } = options;
  const opened = new Map<string, string>();
  const schemas = new Map<string, SchemaMessage>();
  // Checks the records of BATCH files, which no reader saw (wire and in-process records were checked upstream);
  // made at the first BATCH, so a load without one compiles no second validator per schema.
  let batchGuard: MessageGuard | undefined;
  let uncommittedRows = 0;
  let dirty = false;
  let since = 0;
  let pending: StateMessage | undefined;
  const released: StateMessage[] = [];

  const commit = async (reason: CommitReason): Promise<void> => {
    if (dirty || (reason !== 'size' && reason !== 'session' && session.hasDeferredWork?.())) await session.commit(reason);
    dirty = false;
    uncommittedRows = 0;
    since = 0;
    if (pending) released.push(pending);
    pending = undefined;
  };
  const control: SessionControl = { logger: ctx.logger, signal: ctx.signal, commit: () => commit('session') };
  const session = await openSession(control);

  const write = async (batch: RecordBatch): Promise<void> => {
    if (!opened.has(batch.stream)) {
      throw new ProtocolError('RECORD_BEFORE_SCHEMA', 'RECORD arrived before any SCHEMA for its stream', {
        stream: batch.stream,
        hint: 'a source must emit a SCHEMA message for a stream before its first RECORD',
      });
    }
    if (batch.records.length === 0) return;
    if (!dirty) since = Date.now();
    dirty = true;
    await session.write(batch);
    // When the session committed inside write (control.commit), the records after that point are uncommitted.
    if (!dirty) {
      dirty = true;
      since = Date.now();
    }
    uncommittedRows += batch.records.length;
    if (uncommittedRows >= policy.maxRows || (session.uncommittedBytes?.() ?? 0) >= policy.maxBytes) await commit('size');
  };

  const handle = async (message: SourceMessage): Promise<void> => {
    switch (message.type) {
      case 'SCHEMA': {
        assertKeysInSchema(message);
        const keys = message.key_properties ?? [];
        const signature = stringifyExactJson([message.schema, keys]);
        if (opened.get(message.stream) === signature) return;
        // Table changes happen between transactions (and some engines cannot roll DDL back).
        await commit('schema');
        const conflictMethod = resolveConflictMethod(message.stream, keys, ctx.streams[message.stream]?.conflictMethod, ctx.logger);
        await session.openStream({ name: message.stream, schema: message.schema, keyProperties: keys, conflictMethod });
        opened.set(message.stream, signature);
        schemas.set(message.stream, message);
        return;
      }
      case 'RECORD':
        return write({
          stream: message.stream,
          records: [message.record],
          ...(message.version !== undefined ? { version: message.version } : {}),
          ...(message.time_extracted !== undefined ? { timeExtracted: message.time_extracted } : {}),
        });
      case 'RECORD_BATCH':
        return write({
          stream: message.stream,
          records: message.records,
          ...(message.version !== undefined ? { version: message.version } : {}),
          ...(message.time_extracted !== undefined ? { timeExtracted: message.time_extracted } : {}),
          ...(message.native ? { native: message.native } : {}),
          ...(message.lines ? { lines: message.lines } : {}),
        });
      case 'BATCH':
        return expandBatch(message);
      case 'ACTIVATE_VERSION':
        if (!opened.has(message.stream)) {
          ctx.logger.warn(`ACTIVATE_VERSION for stream "${message.stream}" before its SCHEMA: ignored`);
          return;
        }
        if (!session.activateVersion) return;
        dirty = true;
        since ||= Date.now();
        await session.activateVersion(message.stream, message.version);
        return commit('version');
      case 'STATE':
        if (dirty) pending = message;
        else released.push(message);
        return;
      default:
        return;
    }
  };

  const expandBatch = async (message: BatchMessage): Promise<void> => {
    if (!opened.has(message.stream)) await write({ stream: message.stream, records: [] }); // throws RECORD_BEFORE_SCHEMA
    // A format only the destination itself could load is refused before the manifest's locations are checked.
    if (!session.loadBatchFiles) checkBatchFormat(message);
    const paths = await batchFilePaths(message, options.batchDirectories);
    try {
      // A destination that loads the files itself (DuckDB reading Parquet) checks their values as it casts them.
      if (session.loadBatchFiles && (await session.loadBatchFiles(message, paths))) {
        if (!dirty) since = Date.now();
        dirty = true;
        uncommittedRows += message.record_count ?? 0;
        if (uncommittedRows >= policy.maxRows || (session.uncommittedBytes?.() ?? 0) >= policy.maxBytes) await commit('size');
        return;
      }
      batchGuard ??= new MessageGuard();
      batchGuard.check(schemas.get(message.stream) as SchemaMessage); // the current schema; compiled once
      for await (const records of readBatchRecords(message, options.batchDirectories)) {
        batchGuard.check({ type: 'RECORD_BATCH', stream: message.stream, records });
        await write({ stream: message.stream, records, ...(message.version !== undefined ? { version: message.version } : {}) });
      }
    } finally {
      // Files the run's own source wrote for this load (ConnectorContext.batchFiles) go once loaded.
      const owned = ctx.ownedBatchDirectory;
      if (owned) for (const path of paths) if (path.startsWith(owned + sep)) await rm(path, { force: true });
    }
  };

  const iterator = messages[Symbol.asyncIterator]();
  let next: Promise<IteratorResult<SourceMessage>> | undefined;
  let completed = false;
  const alarm = new Alarm();
  try {
    next = iterator.next();
    for (;;) {
      if (ctx.signal.aborted) throw ctx.signal.reason ?? new Error('the run was cancelled');
      const deadline = dirty && Number.isFinite(policy.maxAgeMs) ? since + policy.maxAgeMs : undefined;
      if (deadline === undefined) alarm.clear();
      const result = deadline === undefined ? await next : await alarm.wait(next, deadline);
      if (result === TIMEOUT) {
        alarm.clear();
        await commit('age');
      } else if (result.done) {
        break;
      } else {
        await handle(result.value);
        next = iterator.next();
      }
      if (released.length > 0) yield* released.splice(0);
    }
    await commit('end');
    yield* released.splice(0);
    completed = true;
  } finally {
    alarm.clear();
    // After a failure the first error is the one to report: a close that fails too (a broken connection) is logged.
    await session.close(!completed).catch((error: unknown) => {
      if (completed) throw error;
      ctx.logger.debug(`closing the destination after a failure failed too: ${(error as Error).message}`);
    });
    if (!completed) {
      // A read still pending when we stop (a failed age commit) must not surface as an unhandled rejection.
      next?.catch(() => {});
      await iterator.return?.().catch(() => {});
    }
  }
}
