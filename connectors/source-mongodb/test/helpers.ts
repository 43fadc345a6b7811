import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Int32, MongoClient, type ObjectId } from 'mongodb';
import { startMongoStandIn, type MongoStandIn, type MongoStandInOptions } from '@mage-int/testkit';
import type { Catalog } from '@mage-int/core';
import { testContext } from '@mage-int/testkit';
import mongo, { type Config } from '../src/index.js';

/** A document of any shape (the driver's default type wants ObjectId keys). */
export type AnyDoc = { _id?: Int32 | ObjectId | string; [field: string]: unknown };

/** Discovers with a test context. */
export async function discover(config: Config): Promise<Catalog> {
  const ctx = testContext('source-mongodb discover', 30_000);
  try {
    return await mongo.discover(config as never, ctx);
  } finally {
    ctx.dispose();
  }
}

export { selectStreams as select, collectMessages as collect, recordsOf, lastState } from '@mage-int/testkit';

/** A MongoDB stand-in (tools/testkit/src/stand-ins/mongodb) with a driver client for the test's own writes. */
export interface TestServer {
  server: MongoStandIn;
  /** A driver client for seeding and concurrent writes. */
  client: MongoClient;
  /** The source config reading `database` (plus overrides). */
  config(database: string, overrides?: Partial<Config>): Config;
  close(): Promise<void>;
}

export async function startTestServer(options: MongoStandInOptions = {}): Promise<TestServer> {
  const admin = { user: 'admin', password: 'admin-secret' };
  const server = await startMongoStandIn({
    ...options,
    users: [{ ...admin, roles: [{ role: 'root', db: 'admin' }] }, ...(options.users ?? [])],
  });
  const client = new MongoClient(server.url(admin), { serverSelectionTimeoutMS: 5000 });
  await client.connect();
  return {
    server,
    client,
    config: (database, overrides = {}) => ({
      host: '127.0.0.1',
      port: server.port,
      username: admin.user,
      password: admin.password,
      database,
      batch_size: 50,
      max_await_seconds: 0.1,
      ...overrides,
    }),
    async close() {
      await client.close();
      await server.close();
    },
  };
}

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

function newest(dir: string): number {
  let max = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    max = Math.max(max, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return max;
}

/** Builds the packages a child-process test imports from dist/ when their sources are newer. */
export function ensureBuilt(packages: readonly string[]): void {
  for (const pkg of packages) {
    const dist = join(ROOT, pkg, 'dist/index.js');
    if (existsSync(dist) && statSync(dist).mtimeMs >= newest(join(ROOT, pkg, 'src'))) continue;
    const result = spawnSync('npm', ['run', 'build'], { cwd: join(ROOT, pkg), stdio: 'inherit' });
    if (result.status !== 0) throw new Error(`building ${pkg} failed`);
  }
}
