import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { loadConnector, resolveConnector, type Destination, type Source } from '../src/index.js';

const ADMIN = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' };
const WORKSPACE = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A throwaway PostgreSQL database for one test; `drop()` removes its replication slots and publications too. */
export interface TestDatabase {
  name: string;
  /** A source-postgres / destination-postgres config for it. */
  config: { host: string; port: number; database: string; username: string };
  sql(text: string, params?: unknown[]): Promise<pg.QueryResult>;
  drop(): Promise<void>;
}

export async function createTestDatabase(prefix = 'mage_core'): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client(ADMIN);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const client = new pg.Client({ ...ADMIN, database: name });
  await client.connect();
  return {
    name,
    config: { host: '127.0.0.1', port: 5432, database: name, username: 'postgres' },
    sql: (text, params) => client.query(text, params),
    async drop() {
      await client.end().catch(() => {});
      const a = new pg.Client(ADMIN);
      await a.connect();
      try {
        // A walsender that was just told to stop may hold its slot a moment longer: try a few times.
        for (let attempt = 0; attempt < 20; attempt++) {
          await a.query(
            `SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = $1 AND active_pid IS NOT NULL`,
            [name],
          );
          await new Promise((r) => setTimeout(r, 100));
          const dropped = await a
            .query(`SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = $1 AND NOT active`, [name])
            .then(
              () => true,
              () => false,
            );
          const left = await a.query(`SELECT 1 FROM pg_replication_slots WHERE database = $1`, [name]);
          if (dropped && left.rowCount === 0) break;
        }
        await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await a.end();
      }
    },
  };
}

/**
 * A workspace connector, found and loaded the way a pipeline file's `name:` is (run-time discovery, so core
 * does not depend on any connector package). The connectors must be built (`npm run build`).
 */
export async function workspaceSource(name: string): Promise<Source<never>> {
  return loadConnector(await resolveConnector('source', { name }, WORKSPACE), 'source');
}

export async function workspaceDestination(name: string): Promise<Destination<never>> {
  return loadConnector(await resolveConnector('destination', { name }, WORKSPACE), 'destination');
}
