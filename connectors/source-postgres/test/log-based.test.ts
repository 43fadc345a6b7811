import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, type Catalog, type ConnectorContext, type RecordData, type SourceMessage, type State } from '@mage-int/core';
import source from '../src/index.js';
import { PostgreSQL } from '../src/index.js';
import { createTestDatabase, lastState, recordsOf, select, type TestDatabase } from './helpers.js';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase({ batch_size: 500 });
  await db.sql(`
    CREATE TABLE accounts (id int PRIMARY KEY, owner text NOT NULL, balance numeric(12,2), notes text);
    INSERT INTO accounts SELECT g, 'o' || g, g * 10, NULL FROM generate_series(1, 1200) g;
    CREATE TABLE quiet (id int PRIMARY KEY, v text);
    CREATE TABLE nokey (v text);
    INSERT INTO quiet VALUES (1, 'a');
  `);
});
afterAll(async () => db.drop());

/** Reads like the runner does: commit() after each STATE, then the run's context is aborted. */
async function run(cat: Catalog, state: State): Promise<{ messages: SourceMessage[]; state: State }> {
  const controller = new AbortController();
  const ctx: ConnectorContext = { logger: silentLogger, signal: controller.signal };
  const messages: SourceMessage[] = [];
  try {
    for await (const m of source.read(db.config, cat, state, ctx)) {
      messages.push(m);
      if (m.type === 'STATE') await source.commit!(db.config, m.value as State, ctx);
    }
  } finally {
    controller.abort();
  }
  return { messages, state: lastState(messages) };
}

async function slotPosition(): Promise<string> {
  const { rows } = await db.sql(`SELECT confirmed_flush_lsn::text AS lsn FROM pg_replication_slots WHERE slot_name = $1`, [
    `mage_int_${db.name}`,
  ]);
  return rows[0]?.lsn as string;
}

function lsnNum(text: string): bigint {
  const [hi, lo] = text.split('/');
  return (BigInt(`0x${hi}`) << 32n) | BigInt(`0x${lo}`);
}

describe('LOG_BASED', () => {
  let catalog: Catalog;
  let state: State = { bookmarks: {} };

  it('snapshots, then streams inserts, updates, deletes with _sdc_lsn and _sdc_deleted_at', async () => {
    catalog = select(await new PostgreSQL({ config: db.config }).discover(), {
      accounts: { method: 'LOG_BASED' },
      quiet: { method: 'LOG_BASED' },
    });
    const first = await run(catalog, state);
    const snap = recordsOf(first.messages, 'accounts');
    expect(snap).toHaveLength(1200);
    expect(snap[0]).toMatchObject({ id: 1, owner: 'o1', _sdc_deleted_at: null });
    expect(typeof snap[0]!['_sdc_lsn']).toBe('number');
    expect(first.messages.some((m) => m.type === 'ACTIVATE_VERSION' && m.stream === 'accounts')).toBe(true);
    state = first.state;
    const lsn = state.bookmarks['public-accounts']!.lsn!;
    expect(lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(lsnNum(await slotPosition())).toBeLessThanOrEqual(lsnNum(lsn));

    await db.sql(`INSERT INTO accounts VALUES (5000, 'new', 1.50, 'n')`);
    await db.sql(`UPDATE accounts SET balance = 99.99 WHERE id = 7`);
    await db.sql(`DELETE FROM accounts WHERE id = 8`);
    const second = await run(catalog, state);
    const changes = recordsOf(second.messages, 'accounts');
    expect(changes.map((r) => [r['id'], r['_sdc_deleted_at'] === null ? 'live' : 'deleted'])).toEqual([
      [5000, 'live'],
      [7, 'live'],
      [8, 'deleted'],
    ]);
    expect(changes[1]).toMatchObject({ owner: 'o7', balance: expect.objectContaining({ text: '99.99' }) });
    expect(changes[2]).toEqual({ id: 8, _sdc_lsn: expect.any(Number), _sdc_deleted_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/) });
    expect(second.messages.find((m) => m.type === 'SCHEMA' && m.stream === 'accounts')).toBeDefined();
    state = second.state;
    expect(state.bookmarks['public-quiet']!.lsn).toBe(state.bookmarks['public-accounts']!.lsn);
    // The standby status update is asynchronous: the server applies it a moment later.
    await expect.poll(slotPosition, { timeout: 3000 }).toBe(state.bookmarks['public-accounts']!.lsn);
  });

  it('advances an idle slot so it does not hold WAL', async () => {
    const before = lsnNum(await slotPosition());
    await db.sql(`INSERT INTO nokey SELECT 'x' FROM generate_series(1, 100)`); // WAL the slot does not publish
    const idle = await run(catalog, state);
    expect(recordsOf(idle.messages, 'accounts')).toHaveLength(0);
    state = idle.state;
    await expect.poll(async () => lsnNum(await slotPosition()) > before, { timeout: 3000 }).toBe(true);
  });

  it('keeps unchanged TOAST values instead of writing NULL', async () => {
    const big = 'x'.repeat(100_000) + Math.random();
    await db.sql(`UPDATE accounts SET notes = $1 WHERE id = 3`, [big]);
    let r = await run(catalog, state);
    state = r.state;
    await db.sql(`UPDATE accounts SET balance = 1.00 WHERE id = 3`);
    r = await run(catalog, state);
    state = r.state;
    const [change] = recordsOf(r.messages, 'accounts');
    expect(change).toMatchObject({ id: 3, notes: big, balance: expect.objectContaining({ text: '1.00' }) });
  });

  it('sends a new SCHEMA when a column is added', async () => {
    await db.sql(`ALTER TABLE accounts ADD COLUMN tier smallint; UPDATE accounts SET tier = 2 WHERE id = 4`);
    const r = await run(catalog, state);
    state = r.state;
    const schema = r.messages.find((m) => m.type === 'SCHEMA' && m.stream === 'accounts');
    expect(schema && schema.type === 'SCHEMA' && schema.schema.properties!['tier']).toMatchObject({
      type: ['null', 'integer'],
      'sql-datatype': 'smallint',
    });
    expect(recordsOf(r.messages, 'accounts')[0]).toMatchObject({ id: 4, tier: 2 });
  });

  it('follows a column type change with a new SCHEMA', async () => {
    await db.sql(
      `ALTER TABLE accounts ALTER COLUMN owner TYPE varchar(80); ALTER TABLE accounts ALTER COLUMN tier TYPE text; UPDATE accounts SET tier = 'gold' WHERE id = 5`,
    );
    const retyped = await run(catalog, state);
    state = retyped.state;
    const schema = retyped.messages.find((m) => m.type === 'SCHEMA' && m.stream === 'accounts');
    expect(schema && schema.type === 'SCHEMA' && schema.schema.properties!['tier']).toMatchObject({
      type: ['null', 'string'],
      'sql-datatype': 'text',
    });
    expect(schema && schema.type === 'SCHEMA' && schema.schema.properties!['owner']).toMatchObject({
      'sql-datatype': 'character varying(80)',
    });
    expect(recordsOf(retyped.messages, 'accounts')[0]).toMatchObject({ id: 5, tier: 'gold' });
  });

  it('turns TRUNCATE into ACTIVATE_VERSION with a new version', async () => {
    await db.sql(`INSERT INTO quiet VALUES (2, 'b'); TRUNCATE quiet; INSERT INTO quiet VALUES (3, 'c')`);
    const r = await run(catalog, state);
    const oldVersion = state.bookmarks['public-quiet']!.version!;
    state = r.state;
    const kinds = r.messages.filter((m) => 'stream' in m && m.stream === 'quiet' && m.type !== 'SCHEMA').map((m) => m.type);
    expect(kinds).toEqual(['RECORD_BATCH', 'ACTIVATE_VERSION', 'RECORD_BATCH']);
    const newVersion = state.bookmarks['public-quiet']!.version!;
    expect(newVersion).toBeGreaterThan(oldVersion);
    expect(recordsOf(r.messages, 'quiet').map((x) => x['id'])).toEqual([2, 3]);
  });

  it('snapshots a table added later without re-syncing the others', async () => {
    await db.sql(`CREATE TABLE later (id int PRIMARY KEY, v text); INSERT INTO later VALUES (1, 'one'), (2, 'two')`);
    const cat = select(await new PostgreSQL({ config: db.config }).discover(), {
      accounts: { method: 'LOG_BASED' },
      quiet: { method: 'LOG_BASED' },
      later: { method: 'LOG_BASED' },
    });
    await db.sql(`UPDATE accounts SET owner = 'changed' WHERE id = 10`);
    const r = await run(cat, state);
    state = r.state;
    expect(recordsOf(r.messages, 'later').map((x) => x['id'])).toEqual([1, 2]);
    expect(recordsOf(r.messages, 'accounts').map((x) => x['id'])).toEqual([10]);
    await db.sql(`INSERT INTO later VALUES (3, 'three')`);
    const r2 = await run(cat, state);
    state = r2.state;
    expect(recordsOf(r2.messages, 'later').map((x) => x['id'])).toEqual([3]);
    catalog = cat;
  });

  it('replicates a partitioned table as its parent stream', async () => {
    await db.sql(`
      CREATE TABLE events (id int, day date, what text, PRIMARY KEY (id, day)) PARTITION BY RANGE (day);
      CREATE TABLE events_a PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2024-07-01');
      CREATE TABLE events_b PARTITION OF events FOR VALUES FROM ('2024-07-01') TO ('2025-01-01');
      INSERT INTO events VALUES (1, '2024-02-01', 'a'), (2, '2024-08-01', 'b');`);
    const cat = select(await new PostgreSQL({ config: db.config }).discover(), {
      accounts: { method: 'LOG_BASED' },
      quiet: { method: 'LOG_BASED' },
      later: { method: 'LOG_BASED' },
      events: { method: 'LOG_BASED' },
    });
    const snap = await run(cat, state);
    expect(recordsOf(snap.messages, 'events').map((r) => r['id'])).toEqual([1, 2]);
    await db.sql(`INSERT INTO events VALUES (3, '2024-03-01', 'c'), (4, '2024-09-01', 'd'); DELETE FROM events WHERE id = 1`);
    const r = await run(cat, snap.state);
    expect(recordsOf(r.messages, 'events').map((x) => [x['id'], x['_sdc_deleted_at'] === null])).toEqual([
      [3, true],
      [4, true],
      [1, false],
    ]);
    state = r.state;
    catalog = cat;
  });

  it.each([
    ['the source config says follow: true', true, false, 7777],
    ['the runner asks for follow mode (ctx.follow)', false, true, 7787],
  ])('follows changes until cancelled when %s', async (_how, configFollow, ctxFollow, id) => {
    const controller = new AbortController();
    const ctx: ConnectorContext = { logger: silentLogger, signal: controller.signal, follow: ctxFollow };
    const config = { ...db.config, follow: configFollow, heartbeat_seconds: 1 };
    const seen: RecordData[] = [];
    let last: State = state;
    const writer = setTimeout(
      () => void db.sql(`INSERT INTO accounts (id, owner) VALUES (${id}, 'live one'), (${id + 1}, 'live two')`),
      1500,
    );
    const guard = setTimeout(() => controller.abort(), 20_000);
    try {
      for await (const m of source.read(config, catalog, state, ctx)) {
        if (m.type === 'RECORD_BATCH' && m.stream === 'accounts') seen.push(...m.records);
        if (m.type === 'STATE') {
          last = m.value as State;
          await source.commit!(config, last, ctx);
          if (seen.length >= 2) controller.abort();
        }
      }
    } finally {
      clearTimeout(writer);
      clearTimeout(guard);
      controller.abort();
    }
    expect(seen.map((r) => r['id'])).toEqual([id, id + 1]);
    expect(lsnNum(last.bookmarks['public-accounts']!.lsn!)).toBeGreaterThan(lsnNum(state.bookmarks['public-accounts']!.lsn!));
    state = last;
  });

  it('fails clearly when the slot is in use', async () => {
    const { default: pg } = await import('pg');
    // The previous read's walsender may still hold the slot for a moment: retry until this holder has it.
    let holder = new pg.Client({ host: '127.0.0.1', user: 'postgres', database: db.name, replication: 'database' } as never);
    for (let attempt = 0; ; attempt++) {
      await holder.connect();
      let failed = false;
      holder
        .query(`START_REPLICATION SLOT "mage_int_${db.name}" LOGICAL 0/0 (proto_version '1', publication_names 'mage_int_${db.name}')`)
        .catch(() => (failed = true));
      await new Promise((r) => setTimeout(r, 300));
      if (!failed || attempt >= 20) break;
      await holder.end().catch(() => {});
      holder = new pg.Client({ host: '127.0.0.1', user: 'postgres', database: db.name, replication: 'database' } as never);
    }
    try {
      await expect(run(catalog, state)).rejects.toThrow(/in use/);
    } finally {
      await holder.end().catch(() => {});
    }
  });

  it('reports a lost slot with the fix', async () => {
    await new Promise((r) => setTimeout(r, 300));
    await db.sql(`SELECT pg_drop_replication_slot($1)`, [`mage_int_${db.name}`]);
    await expect(run(catalog, state)).rejects.toThrow(/does not exist.*lost/);
  });
});
