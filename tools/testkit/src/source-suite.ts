import {
  cloneCatalog,
  emptyState,
  getMetadata,
  keyProperties,
  replicationKey,
  setBookmark,
  setMetadata,
  validateConfig,
  type Catalog,
  type CatalogStream,
  type Source,
  type State,
} from '@mage-int/core';
import { CheckSkipped, expectThat, type ConformanceCheck } from './check.js';
import { compareBookmarkValues, farFutureValue } from './compare-values.js';
import { assertValidCatalog, assertValidSpec } from './json-schema-check.js';
import { readAll, testContext, type ReadResult } from './read-all.js';
import type { SourceTestConfig } from './test-config.js';

/** Shared, lazily computed state of one source suite run: the config, the catalog, the reads. */
export class SourceSuiteContext {
  private configValue: unknown;
  private teardownFn: (() => Promise<void> | void) | undefined;
  private memo = new Map<string, Promise<unknown>>();

  constructor(
    readonly connector: Source<never>,
    readonly testConfig: SourceTestConfig<unknown>,
  ) {}

  /** Runs the test config's setup (once). */
  async setup(): Promise<void> {
    const { config, teardown } = await this.testConfig.setup();
    this.configValue = config;
    this.teardownFn = teardown;
  }

  async teardown(): Promise<void> {
    await this.teardownFn?.();
  }

  /** The test config, validated against the spec with defaults filled, as the runner would pass it. */
  get config(): unknown {
    return validateConfig(this.connector.spec, this.configValue, `source ${this.connector.name}`);
  }

  get rawConfig(): unknown {
    return this.configValue;
  }

  private once<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let value = this.memo.get(key) as Promise<T> | undefined;
    if (!value) {
      value = fn();
      this.memo.set(key, value);
    }
    return value;
  }

  /** discover(), once. */
  catalog(): Promise<Catalog> {
    return this.once('catalog', async () => {
      const ctx = testContext(`source-${this.connector.name}`);
      try {
        return await this.connector.discover(this.config as never, ctx);
      } finally {
        ctx.dispose();
      }
    });
  }

  /** The streams under test (all, or those the test config names). */
  async streams(): Promise<CatalogStream[]> {
    const catalog = await this.catalog();
    const wanted = this.testConfig.streams;
    if (!wanted) return catalog.streams;
    const found = wanted.map((id) => {
      const stream = catalog.streams.find((s) => s.tap_stream_id === id) ?? catalog.streams.find((s) => s.stream === id);
      expectThat(
        stream,
        `test config names stream "${id}" but discover() did not return it (found: ${catalog.streams.map((s) => s.tap_stream_id).join(', ')})`,
      );
      return stream;
    });
    return found;
  }

  /** A catalog with exactly the streams under test selected, in the replication method `mode` asks for. */
  async catalogFor(mode: 'default' | 'incremental'): Promise<{ catalog: Catalog; selected: CatalogStream[] }> {
    const catalog = cloneCatalog(await this.catalog());
    const wanted = new Set((await this.streams()).map((s) => s.tap_stream_id));
    const selected: CatalogStream[] = [];
    for (const stream of catalog.streams) {
      let select = wanted.has(stream.tap_stream_id);
      if (select && mode === 'incremental') {
        const key = incrementalKey(stream);
        if (key) setMetadata(stream, [], { 'replication-method': 'INCREMENTAL', 'replication-key': key });
        else select = false;
      }
      setMetadata(stream, [], { selected: select });
      if (select) selected.push(stream);
    }
    return { catalog, selected };
  }

  /** A full read of the streams under test from empty state, once. */
  fullRead(): Promise<ReadResult> {
    return this.once('full-read', async () => {
      const { catalog } = await this.catalogFor('default');
      return readAll(this.connector, this.config, catalog, emptyState());
    });
  }

  /** A first incremental read from empty state, once. */
  firstIncrementalRead(): Promise<{ result: ReadResult; streams: CatalogStream[]; catalog: Catalog }> {
    return this.once('incremental-1', async () => {
      const { catalog, selected } = await this.catalogFor('incremental');
      if (selected.length === 0) throw new CheckSkipped('no stream offers INCREMENTAL replication (valid-replication-keys)');
      return { result: await readAll(this.connector, this.config, catalog, emptyState()), streams: selected, catalog };
    });
  }
}

/** The replication key a stream can be read incrementally by, if any. */
function incrementalKey(stream: CatalogStream): string | undefined {
  const md = getMetadata(stream);
  const forced = md['forced-replication-method'];
  if (forced !== undefined && forced !== 'INCREMENTAL') return undefined;
  const valid = md['valid-replication-keys'];
  const chosen = replicationKey(stream);
  if (chosen) return chosen;
  return Array.isArray(valid) && typeof valid[0] === 'string' ? valid[0] : undefined;
}

function describeValue(value: unknown): string {
  return typeof value === 'bigint' ? `${value}n` : (JSON.stringify(value) ?? String(value));
}

/** The source conformance checks, in the order they run. */
export function sourceChecks(): ConformanceCheck<SourceSuiteContext>[] {
  return [
    {
      name: 'spec is a valid JSON Schema describing the config',
      run: async ({ connector }) => assertValidSpec(connector.spec),
    },
    {
      name: 'the test config is valid against the spec',
      run: async (ctx) => {
        void ctx.config;
      },
    },
    {
      name: 'check() succeeds with the test config',
      run: async (ctx) => {
        const context = testContext(`source-${ctx.connector.name}`);
        try {
          const result = await ctx.connector.check(ctx.config as never, context);
          expectThat(result && typeof result.ok === 'boolean', 'check() must return {ok: boolean, message?}');
          expectThat(result.ok, `check() failed: ${result.message ?? '(no message)'}`);
        } finally {
          context.dispose();
        }
      },
    },
    {
      name: 'discover() returns a valid catalog',
      run: async (ctx) => {
        const catalog = await ctx.catalog();
        assertValidCatalog(catalog);
        expectThat(catalog.streams.length > 0, 'discover() returned no streams');
        await ctx.streams();
      },
    },
    {
      name: 'read() emits SCHEMA before records, and records match their schemas and carry their keys',
      run: async (ctx) => {
        const result = await ctx.fullRead();
        const streams = await ctx.streams();
        for (const stream of streams) {
          const records = result.records.get(stream.tap_stream_id) ?? [];
          if (ctx.testConfig.expectRecords !== false)
            expectThat(
              records.length > 0,
              `stream "${stream.tap_stream_id}" yielded no records; give the test data some rows (or set expectRecords: false)`,
            );
          const schema = result.schemas.get(stream.tap_stream_id);
          if (records.length > 0) {
            expectThat(schema, `stream "${stream.tap_stream_id}" emitted records without a SCHEMA`);
            const keys = keyProperties(stream);
            expectThat(
              JSON.stringify([...schema.key_properties].sort()) === JSON.stringify([...keys].sort()),
              `stream "${stream.tap_stream_id}": SCHEMA key_properties ${JSON.stringify(schema.key_properties)} differ from the catalog's ${JSON.stringify(keys)}`,
            );
          }
        }
        for (const id of result.records.keys()) {
          expectThat(
            streams.some((s) => s.tap_stream_id === id),
            `read() emitted records for "${id}", which was not selected`,
          );
        }
      },
    },
    {
      name: 'read() emits STATE messages holding the full state',
      run: async (ctx) => {
        const result = await ctx.fullRead();
        expectThat(result.states.length > 0, 'read() emitted no STATE message; emit the full state at least once at the end');
      },
    },
    {
      name: 'a read interrupted mid-stream and restarted from its last STATE delivers every record',
      run: async (ctx) => {
        const full = await ctx.fullRead();
        const streams = (await ctx.streams()).filter((s) => keyProperties(s).length > 0);
        if (streams.length === 0) throw new CheckSkipped('no stream under test has key properties to match records by');
        // The first STATE inside a stream (currently_syncing set) after some of its records, but before its last record.
        const cut = full.states.findIndex((state, i) => {
          const id = state.currently_syncing;
          if (typeof id !== 'string' || !streams.some((s) => s.tap_stream_id === id)) return false;
          const before = full.recordsBeforeState[i]?.get(id) ?? 0;
          return before > 0 && before < (full.records.get(id)?.length ?? 0);
        });
        if (cut < 0)
          throw new CheckSkipped('the full read emitted no STATE in the middle of a stream (give the test data more rows than one batch)');
        const { catalog } = await ctx.catalogFor('default');
        const resumed = await readAll(ctx.connector, ctx.config, catalog, full.states[cut] as State);
        for (const stream of streams) {
          const id = stream.tap_stream_id;
          const keys = keyProperties(stream);
          const keyOf = (record: Record<string, unknown>) => describeValue(keys.map((k) => record[k]));
          const delivered = new Set((full.records.get(id) ?? []).slice(0, full.recordsBeforeState[cut]?.get(id) ?? 0).map(keyOf));
          for (const record of resumed.records.get(id) ?? []) delivered.add(keyOf(record));
          const lost = (full.records.get(id) ?? []).map(keyOf).filter((key) => !delivered.has(key));
          expectThat(
            lost.length === 0,
            () =>
              `stream "${id}": restarted from the STATE after record ${full.recordsBeforeState[cut]?.get(id) ?? 0} (${JSON.stringify(full.states[cut]?.bookmarks[id])}), ${lost.length} records of the full read never arrived, e.g. key ${lost[0]}`,
          );
        }
      },
    },
    {
      name: "an incremental read resumed from the first read's state returns nothing older than its bookmark",
      run: async (ctx) => {
        const first = await ctx.firstIncrementalRead();
        const checked: string[] = [];
        for (const stream of first.streams) {
          const key = incrementalKey(stream) as string;
          const records = first.result.records.get(stream.tap_stream_id) ?? [];
          if (records.length === 0) continue;
          const bookmark = first.result.finalState.bookmarks[stream.tap_stream_id];
          expectThat(
            bookmark && bookmark.replication_key_value !== undefined,
            () =>
              `stream "${stream.tap_stream_id}" read ${records.length} records incrementally but the final state has no replication_key_value for it: ${JSON.stringify(first.result.finalState)}`,
          );
          const max = records.reduce<unknown>(
            (m, r) => (r[key] === null || r[key] === undefined ? m : m === undefined || compareBookmarkValues(r[key], m) > 0 ? r[key] : m),
            undefined,
          );
          if (max !== undefined) {
            expectThat(
              compareBookmarkValues(bookmark.replication_key_value, max) >= 0,
              `stream "${stream.tap_stream_id}": bookmark ${describeValue(bookmark.replication_key_value)} is older than the newest record read (${describeValue(max)})`,
            );
          }
          checked.push(stream.tap_stream_id);
        }
        if (checked.length === 0) throw new CheckSkipped('no incremental stream yielded records');
        const second = await readAll(ctx.connector, ctx.config, first.catalog, first.result.finalState);
        for (const id of checked) {
          const stream = first.streams.find((s) => s.tap_stream_id === id) as CatalogStream;
          const key = incrementalKey(stream) as string;
          const bookmarkValue = first.result.finalState.bookmarks[id]?.replication_key_value;
          const again = second.records.get(id) ?? [];
          for (const record of again) {
            expectThat(
              compareBookmarkValues(record[key], bookmarkValue) >= 0,
              `stream "${id}": the resumed read returned a record with ${key} = ${describeValue(record[key])}, older than the bookmark ${describeValue(bookmarkValue)}`,
            );
          }
          const before = first.result.records.get(id)?.length ?? 0;
          expectThat(
            again.length <= before,
            `stream "${id}": the resumed read returned ${again.length} records, more than the first read (${before})`,
          );
        }
      },
    },
    {
      name: 'an incremental read from a far-future bookmark returns no records',
      run: async (ctx) => {
        const { catalog, selected } = await ctx.catalogFor('incremental');
        if (selected.length === 0) throw new CheckSkipped('no stream offers INCREMENTAL replication (valid-replication-keys)');
        let state: State = emptyState();
        const checked: string[] = [];
        for (const stream of selected) {
          const key = incrementalKey(stream) as string;
          const future = farFutureValue(stream.schema.properties?.[key]);
          if (future === undefined) continue;
          state = setBookmark(state, stream.tap_stream_id, { replication_key: key, replication_key_value: future });
          checked.push(stream.tap_stream_id);
        }
        if (checked.length === 0) throw new CheckSkipped('no incremental stream has a numeric, date or date-time replication key');
        const result = await readAll(ctx.connector, ctx.config, catalog, state);
        for (const id of checked) {
          const records = result.records.get(id) ?? [];
          expectThat(
            records.length === 0,
            `stream "${id}": ${records.length} records returned although the bookmark (${describeValue(state.bookmarks[id]?.replication_key_value)}) is later than any data`,
          );
        }
      },
    },
  ];
}
