import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import type { Config } from '../src/generated/config.js';

export const SERVER = {
  host: process.env['MAGE_INT_TEST_MYSQL_HOST'] ?? '127.0.0.1',
  port: Number(process.env['MAGE_INT_TEST_MYSQL_PORT'] ?? 3306),
  user: process.env['MAGE_INT_TEST_MYSQL_USER'] ?? 'root',
  password: process.env['MAGE_INT_TEST_MYSQL_PASSWORD'] ?? '',
};

/** A throwaway database for one test file; `drop()` removes it. */
export interface TestDatabase {
  name: string;
  config: Config;
  sql(text: string, params?: unknown[]): Promise<unknown>;
  /** A second connection, for writes concurrent with a read. */
  connection(): Promise<mysql.Connection>;
  drop(): Promise<void>;
}

export async function createTestDatabase(overrides: Partial<Config> = {}): Promise<TestDatabase> {
  const name = `mage_src_my_${randomBytes(5).toString('hex')}`;
  const open = () => mysql.createConnection({ ...SERVER, database: name, multipleStatements: true, timezone: 'Z' });
  const admin = await mysql.createConnection({ ...SERVER });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  await admin.end();
  const client = await open();
  await client.query(`SET time_zone = '+00:00'`);
  const config: Config = {
    host: SERVER.host,
    port: SERVER.port,
    database: name,
    username: SERVER.user,
    ...(SERVER.password ? { password: SERVER.password } : {}),
    ...overrides,
  };
  return {
    name,
    config,
    async sql(text, params) {
      const [rows] = await client.query(text, params);
      return rows;
    },
    connection: async () => {
      const c = await open();
      await c.query(`SET time_zone = '+00:00'`);
      return c;
    },
    async drop() {
      await client.end().catch(() => {});
      const a = await mysql.createConnection({ ...SERVER });
      try {
        await a.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await a.end();
      }
    },
  };
}

// The read helpers every source's tests share.
export { selectStreams as select, collectMessages as collect, recordsOf, lastState } from '@mage-int/testkit';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

function newest(dir: string): number {
  let max = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    max = Math.max(max, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return max;
}

/** Tests that run built packages in a child process build the ones missing or older than their sources (CI builds first). */
export function ensureBuilt(packages: readonly string[]): void {
  for (const pkg of packages) {
    const dist = join(ROOT, pkg, 'dist/index.js');
    if (existsSync(dist) && statSync(dist).mtimeMs >= newest(join(ROOT, pkg, 'src'))) continue;
    const result = spawnSync('npm', ['run', 'build'], { cwd: join(ROOT, pkg), stdio: 'inherit' });
    if (result.status !== 0) throw new Error(`building ${pkg} failed`);
  }
}
