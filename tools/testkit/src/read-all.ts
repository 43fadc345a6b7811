import {
  createLogger,
  findStream,
  forEachRecord,
  MessageGuard,
  toState,
  type Catalog,
  type ConnectorContext,
  type RecordData,
  type SchemaMessage,
  type Source,
  type State,
} from '@mage-int/core';
import { ConformanceError } from './check.js';

/** Everything a source emitted in one read, grouped for the checks. */
export interface ReadResult {
  /** Records per tap_stream_id (or the message's stream name when the catalog does not know it). */
  records: Map<string, RecordData[]>;
  schemas: Map<string, SchemaMessage>;
  /** STATE values, in order. */
  states: State[];
  /** The last STATE value (empty bookmarks when none was emitted). */
  finalState: State;
  /** For each STATE (same order as `states`): how many records of each stream came before it. */
  recordsBeforeState: Map<string, number>[];
}

export interface ReadOptions {
  /** Stop with an error after this many records (a runaway source must not hang the suite). Default 1,000,000. */
  maxRecords?: number;
  /** Abort the read after this many milliseconds. Default 120,000. */
  timeoutMs?: number;
}

/** A connector context for the suites: logs at warn level to stderr, aborted after a timeout. */
export function testContext(name: string, timeoutMs = 120_000): ConnectorContext & { dispose(): void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  timer.unref?.();
  return {
    logger: createLogger({ level: 'warn', name }),
    signal: controller.signal,
    dispose: () => clearTimeout(timer),
  };
}

/**
 * Runs `source.read` to the end, enforcing the Singer rules on the way (SCHEMA before RECORD, records match
 * their schema and carry their keys, STATE values are full states) and collecting what it emitted.
 */
export async function readAll(
  source: Source<never>,
  config: unknown,
  catalog: Catalog,
  state: State,
  options: ReadOptions = {},
): Promise<ReadResult> {
  const maxRecords = options.maxRecords ?? 1_000_000;
  const guard = new MessageGuard({ validateRecords: true });
  const result: ReadResult = { records: new Map(), schemas: new Map(), states: [], finalState: { bookmarks: {} }, recordsBeforeState: [] };
  const ctx = testContext(`source-${source.name}`, options.timeoutMs);
  let count = 0;
  const idOf = (stream: string) => findStream(catalog, stream)?.tap_stream_id ?? stream;
  try {
    for await (const message of source.read(config as never, catalog, state, ctx)) {
      try {
        guard.check(message);
      } catch (error) {
        throw new ConformanceError(`read() broke the Singer protocol: ${(error as Error).message}`);
      }
      switch (message.type) {
        case 'SCHEMA':
          result.schemas.set(idOf(message.stream), message);
          break;
        case 'RECORD':
        case 'RECORD_BATCH': {
          const id = idOf(message.stream);
          const list = result.records.get(id) ?? [];
          forEachRecord(message, (record) => list.push(record));
          result.records.set(id, list);
          count += message.type === 'RECORD' ? 1 : message.records.length;
          if (count > maxRecords) throw new ConformanceError(`read() emitted more than ${maxRecords} records; make the test data smaller`);
          break;
        }
        case 'STATE': {
          const value = message.value as { bookmarks?: unknown } | null;
          if (
            typeof value !== 'object' ||
            value === null ||
            typeof value.bookmarks !== 'object' ||
            value.bookmarks === null ||
            Array.isArray(value.bookmarks)
          ) {
            throw new ConformanceError(
              `read() emitted a STATE whose value is not a full state {bookmarks: {...}}: ${JSON.stringify(message.value)}`,
            );
          }
          const full = toState(message.value);
          result.states.push(full);
          result.finalState = full;
          result.recordsBeforeState.push(new Map([...result.records].map(([id, list]) => [id, list.length])));
          break;
        }
        default:
          break;
      }
    }
  } finally {
    ctx.dispose();
  }
  return result;
}
