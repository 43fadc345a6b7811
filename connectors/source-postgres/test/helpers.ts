import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Config } from '../src/generated/config.js';

const ADMIN = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' };

/** A throwaway database for one test file; `drop()` removes its replication slots, then the database. */
export interface TestDatabase {
  name: string;
  config: Config;
  /** A connection to the test database. */
  client: pg.Client;
  sql(text: string, params?: unknown[]): Promise<pg.QueryResult>;
  drop(): Promise<void>;
}

export async function createTestDatabase(overrides: Partial<Config> = {}): Promise<TestDatabase> {
  const name = `mage_src_pg_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client(ADMIN);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const client = new pg.Client({ ...ADMIN, database: name });
  await client.connect();
  const config: Config = { host: '127.0.0.1', port: 5432, database: name, username: 'postgres', schema: 'public', ...overrides };
  return {
    name,
    config,
    client,
    sql: (text, params) => client.query(text, params as unknown[]),
    async drop() {
      await client.end().catch(() => {});
      const a = new pg.Client(ADMIN);
      await a.connect();
      try {
        await a.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [name]);
        await a.query(`SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = $1 AND active_pid IS NOT NULL`, [
          name,
        ]);
        await new Promise((r) => setTimeout(r, 100));
        await a.query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1`, [name]);
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}

// The read helpers every source's tests share.
export { selectStreams as select, collectMessages as collect, recordsOf, lastState } from '@mage-int/testkit';
