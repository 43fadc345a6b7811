import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { formatLsn } from '../src/lsn.js';
import { submitRaw } from '../src/pg-wire.js';
import { decodePgOutput, type PgOutputMessage } from '../src/pgoutput.js';
import { decodeWalMessage } from '../src/replication-stream.js';
import { createTestDatabase, type TestDatabase } from './helpers.js';

/**
 * CopyData bodies of START_REPLICATION recorded once from a real PostgreSQL 15 (pgoutput, proto_version 1, messages)
 * for the changes in CHANGES. `RECORD_PGOUTPUT=1 npx vitest run connectors/source-postgres/test/pg-wire.test.ts`
 * records them again from the local server.
 */
const FIXTURE = new URL('./fixtures/pgoutput-recorded.json', import.meta.url);
const CHANGES = `
  INSERT INTO keyed VALUES (1, 'one', NULL, 1.50);
  UPDATE keyed SET name = 'uno' WHERE id = 1;
  DELETE FROM keyed WHERE id = 1;
  INSERT INTO full_row VALUES ('k', 10, repeat('x', 3000));
  UPDATE full_row SET qty = 11 WHERE code = 'k';
  DELETE FROM full_row WHERE code = 'k';
  INSERT INTO keyed VALUES (2, 'two', (SELECT string_agg(md5(g::text), '') FROM generate_series(1, 300) g), NULL);
  UPDATE keyed SET name = 'dos' WHERE id = 2;
  TRUNCATE keyed;
  SELECT pg_logical_emit_message(false, 'mage-int:test', 'hello');
`;

interface Decoded {
  wal: ReturnType<typeof decodeWalMessage>;
  message?: PgOutputMessage;
}

function decodeAll(chunks: readonly Buffer[]): Decoded[] {
  return chunks.map((chunk) => {
    const wal = decodeWalMessage(chunk);
    return wal.kind === 'xlog' ? { wal, message: decodePgOutput(wal.data) } : { wal };
  });
}

/** What a reader of these changes must see, whatever the OIDs and positions of the server that produced them. */
function expectTheRecordedChanges(decoded: readonly Decoded[]): void {
  const messages = decoded.flatMap((d) => (d.message ? [d.message] : []));
  const relations = new Map(messages.flatMap((m) => (m.tag === 'relation' ? [[m.oid, m] as const] : [])));
  const keyed = [...relations.values()].find((r) => r.name === 'keyed')!;
  const full = [...relations.values()].find((r) => r.name === 'full_row')!;
  expect(keyed.columns.map((c) => [c.name, c.isKey])).toEqual([
    ['id', true],
    ['name', false],
    ['big', false],
    ['n', false],
  ]);
  expect(keyed.replicaIdentity).toBe('d');
  expect(full.replicaIdentity).toBe('f');

  const changes = messages.filter(
    (m) => m.tag === 'insert' || m.tag === 'update' || m.tag === 'delete' || m.tag === 'truncate' || m.tag === 'message',
  );
  expect(changes.map((m) => m.tag)).toEqual([
    'insert',
    'update',
    'delete',
    'insert',
    'update',
    'delete',
    'insert',
    'update',
    'truncate',
    'message',
  ]);
  const [ins, upd, del, fIns, fUpd, fDel, tIns, tUpd, trunc, msg] = changes as [
    Extract<PgOutputMessage, { tag: 'insert' }>,
    Extract<PgOutputMessage, { tag: 'update' }>,
    Extract<PgOutputMessage, { tag: 'delete' }>,
    Extract<PgOutputMessage, { tag: 'insert' }>,
    Extract<PgOutputMessage, { tag: 'update' }>,
    Extract<PgOutputMessage, { tag: 'delete' }>,
    Extract<PgOutputMessage, { tag: 'insert' }>,
    Extract<PgOutputMessage, { tag: 'update' }>,
    Extract<PgOutputMessage, { tag: 'truncate' }>,
    Extract<PgOutputMessage, { tag: 'message' }>,
  ];
  expect(ins).toMatchObject({ relation: keyed.oid, tuple: ['1', 'one', null, '1.50'] });
  // Replica identity DEFAULT: an update without a key change carries no old row, a delete only the key.
  expect(upd).toEqual({ tag: 'update', relation: keyed.oid, tuple: ['1', 'uno', null, '1.50'] });
  expect(del).toMatchObject({ oldKind: 'K', old: ['1', null, null, null] });
  expect(fIns.tuple[2]).toHaveLength(3000);
  // Replica identity FULL: the whole old row, TOAST values included.
  expect(fUpd).toMatchObject({ relation: full.oid, oldKind: 'O', tuple: ['k', '11', 'x'.repeat(3000)] });
  expect(fUpd.old?.slice(0, 2)).toEqual(['k', '10']);
  expect(fDel).toMatchObject({ oldKind: 'O', old: ['k', '11', 'x'.repeat(3000)] });
  expect(tIns.tuple[2]).toHaveLength(9600);
  // An unchanged TOAST value is left out (undefined), never sent as NULL.
  expect(tUpd.tuple).toEqual(['2', 'dos', undefined, null]);
  expect(trunc).toMatchObject({ relations: [keyed.oid], cascade: false, restartIdentity: false });
  expect(msg).toMatchObject({ transactional: false, prefix: 'mage-int:test', content: Buffer.from('hello') });

  // Every transaction is framed by BEGIN … COMMIT, and commit positions only grow.
  const begins = messages.filter((m) => m.tag === 'begin').length;
  expect(begins).toBe(messages.filter((m) => m.tag === 'commit').length);
  expect(begins).toBe(9);
  const ends = messages.flatMap((m) => (m.tag === 'commit' ? [m.endLsn] : []));
  expect(ends.every((end, i) => i === 0 || end > ends[i - 1]!)).toBe(true);
}

describe('pgoutput decoding (recorded bytes)', () => {
  it('decodes inserts, updates, deletes (key-only and full old rows), TOAST gaps, truncate and messages', () => {
    const recorded = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { server: string; chunks: string[] };
    expect(recorded.chunks.length).toBeGreaterThan(20);
    expectTheRecordedChanges(decodeAll(recorded.chunks.map((hex) => Buffer.from(hex, 'hex'))));
  });

  it('rejects a replication message it does not know', () => {
    expect(() => decodeWalMessage(Buffer.from([0x78, 0, 0]))).toThrow(/unexpected replication message 0x78/);
  });
});

describe('node-postgres internals behind pg-wire.ts (the installed pg, the real server)', () => {
  let db: TestDatabase;
  const slot = `mage_wire_${process.pid}`;

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.sql(`
      CREATE TABLE keyed (id int PRIMARY KEY, name text, big text, n numeric(6,2));
      CREATE TABLE full_row (code text NOT NULL, qty int, note text);
      ALTER TABLE full_row REPLICA IDENTITY FULL;
      CREATE PUBLICATION wire_pub FOR TABLE keyed, full_row;
    `);
    await db.sql(`SELECT pg_create_logical_replication_slot($1, 'pgoutput')`, [slot]);
    // One transaction each (a multi-statement query would be one).
    for (const statement of CHANGES.split(';')
      .map((t) => t.trim())
      .filter(Boolean))
      await db.sql(statement);
  });
  afterAll(async () => db.drop());

  it('streams CopyData through submitRaw, decodes the same changes, and moves the slot by a standby status update', async () => {
    const client = new pg.Client({
      host: '127.0.0.1',
      port: 5432,
      user: 'postgres',
      database: db.name,
      replication: 'database',
    } as pg.ClientConfig);
    await client.connect();
    const chunks: Buffer[] = [];
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    const wire = submitRaw(
      client,
      `START_REPLICATION SLOT ${slot} LOGICAL 0/0 (proto_version '1', publication_names 'wire_pub', messages 'true')`,
      {
        onCopyData: (chunk) => {
          chunks.push(chunk);
          wake?.();
        },
        onError: (error) => {
          failure = error;
          wake?.();
        },
        onEnd: () => wake?.(),
      },
    );
    let lastEnd = 0n;
    try {
      // Until the logical message (the last change) has arrived.
      for (let seen = 0; ; ) {
        while (seen === chunks.length) {
          if (failure) throw failure;
          await new Promise<void>((resolve, reject) => {
            wake = resolve;
            setTimeout(() => reject(new Error('no CopyData within 5 s')), 5000).unref();
          });
        }
        const wal = decodeWalMessage(chunks[seen++]!);
        const message = wal.kind === 'xlog' ? decodePgOutput(wal.data) : undefined;
        if (message?.tag === 'commit') lastEnd = message.endLsn;
        if (message?.tag === 'message') break;
      }
      const recorded = chunks.filter((c) => c[0] === 0x77);
      expectTheRecordedChanges(decodeAll(recorded));
      // Standby status update: written, flushed, applied, clock, reply flag.
      const status = Buffer.alloc(34);
      status.write('r', 0);
      for (const offset of [1, 9, 17]) status.writeBigUInt64BE(lastEnd, offset);
      status.writeBigInt64BE(BigInt(Date.now() - 946_684_800_000) * 1000n, 25);
      wire.sendCopyData(status);
      await expect
        .poll(
          async () =>
            (await db.sql(`SELECT confirmed_flush_lsn::text AS c FROM pg_replication_slots WHERE slot_name = $1`, [slot])).rows[0]!
              .c as string,
          { timeout: 5000 },
        )
        .toBe(formatLsn(lastEnd));
      chunks.splice(0, chunks.length, ...recorded);
    } finally {
      await client.end().catch(() => {});
    }
    if (process.env['RECORD_PGOUTPUT']) {
      const { rows: version } = await db.sql(`SELECT current_setting('server_version') AS v`);
      writeFileSync(
        FIXTURE,
        `${JSON.stringify({ server: `PostgreSQL ${version[0]!.v as string}`, pg: (await import('pg/package.json', { with: { type: 'json' } })).default.version, chunks: chunks.map((c) => c.toString('hex')) }, null, 1)}\n`,
      );
    }
  });
});

/** Keeps `submitRaw` honest about what it hands over: a copy, since pg reuses its read buffer. */
it('submitRaw copies each CopyData body', () => {
  let handler: { handleCopyData(msg: { chunk: Buffer }): void } | undefined;
  const fakeClient = { query: (submittable: typeof handler) => void (handler = submittable) } as unknown as pg.Client;
  const seen: Buffer[] = [];
  submitRaw(fakeClient, 'SELECT 1', { onCopyData: (chunk) => seen.push(chunk), onError: () => {}, onEnd: () => {} });
  const shared = Buffer.from('abc');
  handler!.handleCopyData({ chunk: shared });
  shared.write('xyz');
  expect(seen[0]!.toString()).toBe('abc');
});
