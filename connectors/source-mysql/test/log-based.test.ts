import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Catalog, ConnectorContext, Logger, RecordData, SourceMessage, State } from '@mage-int/core';
import source from '../src/index.js';
import { MySQL } from '../src/index.js';
import { collect, createTestDatabase, lastState, recordsOf, select, type TestDatabase } from './helpers.js';

let db: TestDatabase;
let catalog: Catalog;
const logs: string[] = [];
const logger = {
  debug() {},
  info(m: string) {
    logs.push(m);
  },
  warn(m: string) {
    logs.push(m);
  },
  error() {},
  child() {
    return logger;
  },
} as unknown as Logger;
const ctx = (extra: Partial<ConnectorContext> = {}): ConnectorContext => ({
  logger,
  signal: new AbortController().signal,
  pipelineId: `mysql-cdc-${db.name}`,
  ...extra,
});

function read(cat: Catalog, state: State): Promise<SourceMessage[]> {
  return collect(source.read(db.config, cat, state, ctx()));
}

/** Applies records the way a destination with hard deletes does: upsert by id, delete on _sdc_deleted_at. */
function apply(rows: Map<number, RecordData>, messages: readonly SourceMessage[], stream: string): void {
  for (const m of messages) {
    if (m.type === 'ACTIVATE_VERSION' && m.stream === stream) {
      for (const [id, row] of rows) if ((row['_v'] as number) < m.version) rows.delete(id);
    }
    if (m.type !== 'RECORD_BATCH' || m.stream !== stream) continue;
    for (const r of m.records) {
      if (r['_sdc_deleted_at']) rows.delete(r['id'] as number);
      else rows.set(r['id'] as number, { ...r, _v: m.version });
    }
  }
}

async function tableRows(table: string): Promise<Record<string, unknown>[]> {
  return (await db.sql(`SELECT id, qty, note FROM ${table} ORDER BY id`)) as Record<string, unknown>[];
}

function plain(rows: Map<number, RecordData>): Record<string, unknown>[] {
  return [...rows.values()]
    .sort((a, b) => (a['id'] as number) - (b['id'] as number))
    .map((r) => ({ id: r['id'], qty: r['qty'], note: r['note'] }));
}

beforeAll(async () => {
  db = await createTestDatabase({ batch_size: 200 });
  await db.sql(`SET SESSION max_recursive_iterations = 100000`);
  await db.sql(`CREATE TABLE stock (id int PRIMARY KEY, qty int NOT NULL, note varchar(40), big bigint unsigned, at datetime(6))`);
  await db.sql(
    `INSERT INTO stock WITH RECURSIVE s (n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 5000) SELECT n, n % 100, CONCAT('row ', n), 18446744073709551615, '2024-01-01 00:00:00.000001' FROM s`,
  );
  await db.sql(`CREATE TABLE other (id int PRIMARY KEY, v int)`);
  catalog = await new MySQL({ config: db.config }).discover();
}, 60_000);
afterAll(async () => db?.drop());

describe('LOG_BASED', () => {
  const rows = new Map<number, RecordData>();
  let state: State = { bookmarks: {} };

  it('snapshots at an exact binlog position while writes go on, then reads the binlog from there: the copy equals the table', async () => {
    const cat = select(catalog, { stock: { method: 'LOG_BASED' } });
    const writer = await db.connection();
    const messages: SourceMessage[] = [];
    let wrote = 0;
    for await (const m of source.read(db.config, cat, { bookmarks: {} }, ctx())) {
      messages.push(m);
      // Writes land while the snapshot is being read (after its first batch): in the binlog after the snapshot's position.
      if (m.type === 'RECORD_BATCH' && wrote < 5) {
        wrote++;
        await writer.query(`UPDATE stock SET qty = qty + 1000 WHERE id IN (${wrote}, ${4000 + wrote})`);
        await writer.query(`DELETE FROM stock WHERE id = ${4500 + wrote}`);
        await writer.query(`INSERT INTO stock (id, qty, note) VALUES (${10000 + wrote}, 1, 'new ${wrote}')`);
      }
    }
    await writer.end();
    apply(rows, messages, 'stock');
    state = lastState(messages);
    const bookmark = state.bookmarks[`${db.name}-stock`]!;
    expect(bookmark).toMatchObject({
      binlog_file: expect.stringMatching(/\.\d+$/),
      binlog_pos: expect.any(Number),
      server_id: expect.any(Number),
    });
    expect(typeof bookmark['gtid']).toBe('string');
    expect(bookmark['last_pk_fetched']).toBeUndefined();
    expect(plain(rows)).toEqual(await tableRows('stock'));
    // Changes carry their binlog position and GTID; snapshot rows carry the snapshot's.
    const changes = recordsOf(messages, 'stock').filter((r) => (r['id'] as number) > 10000);
    expect(changes.length).toBeGreaterThan(0);
    expect(changes[0]).toMatchObject({
      _sdc_deleted_at: null,
      _sdc_binlog_pos: expect.stringMatching(/:\d+$/),
      _sdc_gtid: expect.stringMatching(/^\d+-\d+-\d+$/),
    });
  }, 60_000);

  it('streams inserts, multi-row updates and deletes (with _sdc_deleted_at) from the saved position, exactly once', async () => {
    const cat = select(catalog, { stock: { method: 'LOG_BASED' } });
    await db.sql(
      `INSERT INTO stock (id, qty, note, big) VALUES (20001, 5, 'a', 18446744073709551614), (20002, 6, 'b', 1), (20003, 7, 'c', 2)`,
    );
    await db.sql(`UPDATE stock SET note = 'bulk' WHERE id BETWEEN 100 AND 1099`);
    await db.sql(`DELETE FROM stock WHERE id IN (20002, 7)`);
    await db.sql(`INSERT INTO other VALUES (1, 1)`);
    await db.sql(`SET SESSION sql_mode = ''`);
    await db.sql(`UPDATE stock SET at = '0000-00-00 00:00:00' WHERE id = 20003`);
    const messages = await read(cat, state);
    const records = recordsOf(messages, 'stock');
    expect(records).toHaveLength(3 + 1000 + 2 + 1);
    // A zero date from the binlog is NULL too, with the warning naming the column.
    expect(records.filter((r) => r['id'] === 20003).at(-1)).toMatchObject({ at: null });
    expect(logs.some((l) => l.includes('"at"') && l.includes('zero dates'))).toBe(true);
    expect(records[0]).toMatchObject({ id: 20001, big: 18446744073709551614n, _sdc_deleted_at: null });
    const deleted = records.filter((r) => r['_sdc_deleted_at'] !== null);
    expect(deleted.map((r) => r['id'])).toEqual([7, 20002]);
    expect(deleted[0]).toMatchObject({ qty: 7, note: 'row 7', _sdc_deleted_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/) });
    // A big transaction goes out in batches; the STATE only after its commit.
    expect(messages.filter((m) => m.type === 'RECORD_BATCH').length).toBeGreaterThanOrEqual(5);
    apply(rows, messages, 'stock');
    expect(plain(rows)).toEqual(await tableRows('stock'));
    state = lastState(messages);
    // Nothing new: nothing read again.
    const again = await read(cat, state);
    expect(recordsOf(again, 'stock')).toHaveLength(0);
    state = lastState(again);
  }, 60_000);

  it('follows ALTER TABLE ADD COLUMN with a new SCHEMA, and turns TRUNCATE into a new empty version', async () => {
    const cat = select(catalog, { stock: { method: 'LOG_BASED' } });
    await db.sql(`INSERT INTO stock (id, qty, note) VALUES (30001, 1, 'before')`);
    await db.sql(`ALTER TABLE stock ADD COLUMN color varchar(10) DEFAULT 'red'`);
    await db.sql(`INSERT INTO stock (id, qty, note, color) VALUES (30002, 2, 'after', 'blue')`);
    const messages = await read(cat, state);
    const schemas = messages.filter((m) => m.type === 'SCHEMA' && m.stream === 'stock');
    expect(schemas.some((m) => m.type === 'SCHEMA' && 'color' in (m.schema.properties ?? {}))).toBe(true);
    const records = recordsOf(messages, 'stock');
    expect(records.find((r) => r['id'] === 30002)).toMatchObject({ color: 'blue' });
    apply(rows, messages, 'stock');
    state = lastState(messages);

    await db.sql(`TRUNCATE TABLE stock`);
    await db.sql(`INSERT INTO stock (id, qty, note) VALUES (1, 1, 'after truncate')`);
    const afterTruncate = await read(cat, state);
    const activate = afterTruncate.find((m) => m.type === 'ACTIVATE_VERSION');
    expect(activate).toBeDefined();
    apply(rows, afterTruncate, 'stock');
    expect(plain(rows)).toEqual(await tableRows('stock'));
    state = lastState(afterTruncate);
  }, 60_000);

  it('refuses to resume from a purged binlog, a reset numbering or another server, saying a full resync is needed', async () => {
    const cat = select(catalog, { stock: { method: 'LOG_BASED' } });
    const id = `${db.name}-stock`;
    const saved = state.bookmarks[id]!;
    const withBookmark = (patch: Record<string, unknown>): State => ({
      ...state,
      bookmarks: { ...state.bookmarks, [id]: { ...saved, ...patch } },
    });
    await expect(read(cat, withBookmark({ binlog_file: 'mysql-bin.999990', binlog_pos: 4 }))).rejects.toMatchObject({
      code: 'BINLOG_PURGED',
      stream: id,
      hint: expect.stringContaining('full resync'),
    });
    await expect(read(cat, withBookmark({ binlog_pos: 4_000_000_000 }))).rejects.toMatchObject({ code: 'BINLOG_RESET' });
    await expect(read(cat, withBookmark({ gtid: '0-1-999999999' }))).rejects.toMatchObject({ code: 'BINLOG_RESET' });
    await expect(read(cat, withBookmark({ server_id: 424242 }))).rejects.toMatchObject({ code: 'BINLOG_SERVER_CHANGED' });
    // `check` runs the same preflight.
    await expect(
      source.operations!.preflight!(db.config, cat, withBookmark({ binlog_file: 'mysql-bin.999990' }), ctx()),
    ).rejects.toMatchObject({ code: 'BINLOG_PURGED' });
  });

  it('reads FULL_TABLE streams first and LOG_BASED ones after, in one read, keeping both bookmarks', async () => {
    const cat = select(catalog, { stock: { method: 'LOG_BASED' }, other: { method: 'FULL_TABLE' } });
    await db.sql(`INSERT INTO stock (id, qty, note) VALUES (50001, 1, 'mixed'), (50002, 2, 'moved')`);
    // An update of the key moves the row: the old key is deleted.
    await db.sql(`UPDATE stock SET id = 50003 WHERE id = 50002`);
    const messages = await read(cat, state);
    expect(recordsOf(messages, 'other')).toHaveLength(1);
    expect(recordsOf(messages, 'stock').map((r) => [r['id'], r['_sdc_deleted_at'] === null])).toEqual([
      [50001, true],
      [50002, true],
      [50002, false],
      [50003, true],
    ]);
    const firstStock = messages.findIndex((m) => m.type === 'RECORD_BATCH' && m.stream === 'stock');
    const lastOther = messages.findLastIndex((m) => m.type === 'RECORD_BATCH' && m.stream === 'other');
    expect(lastOther).toBeLessThan(firstStock);
    const final = lastState(messages);
    expect(final.bookmarks[`${db.name}-other`]).toMatchObject({ version: expect.any(Number) });
    expect(final.bookmarks[`${db.name}-stock`]).toMatchObject({ binlog_file: expect.any(String) });
    expect(final.currently_syncing ?? null).toBeNull();
    apply(rows, messages, 'stock');
    expect(plain(rows)).toEqual(await tableRows('stock'));
    state = final;
  });

  it('follows the binlog until cancelled in follow mode', async () => {
    const cat = select(catalog, { stock: { method: 'LOG_BASED' } });
    const controller = new AbortController();
    const seen: RecordData[] = [];
    const reading = (async () => {
      for await (const m of source.read(db.config, cat, state, ctx({ follow: true, signal: controller.signal }))) {
        if (m.type === 'RECORD_BATCH') {
          seen.push(...m.records);
          if (seen.some((r) => r['id'] === 40002)) controller.abort();
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 500));
    await db.sql(`INSERT INTO stock (id, qty, note) VALUES (40001, 1, 'live')`);
    await new Promise((r) => setTimeout(r, 300));
    await db.sql(`INSERT INTO stock (id, qty, note) VALUES (40002, 2, 'live')`);
    await reading;
    expect(seen.map((r) => r['id'])).toEqual([40001, 40002]);
  }, 30_000);
});
