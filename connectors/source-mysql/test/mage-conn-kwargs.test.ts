// Mage's `conn_kwargs` (mysql-connector-python's connection arguments) in a MySQL source config as Mage documents it,
// against the local MariaDB (which has TLS switched off: a config that asks for TLS must be refused by the server).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturingLogger } from '@mage-int/testkit';
import mysqlSource, { MySQL } from '../src/index.js';
import { createTestDatabase, type TestDatabase } from './helpers.js';

let db: TestDatabase;
let dir: string;
beforeAll(async () => {
  db = await createTestDatabase();
  await db.sql(`CREATE TABLE users (id int PRIMARY KEY, name varchar(20))`);
  await db.sql(`INSERT INTO users VALUES (1, 'ada'), (2, 'grace')`);
  dir = mkdtempSync(join(tmpdir(), 'mage-conn-kwargs-'));
});
afterAll(async () => {
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

/** Mage's MySQL source block: connection_method direct, empty ssh settings, and conn_kwargs. */
const mageConfig = (conn_kwargs: Record<string, unknown>) => ({
  ...db.config,
  connection_method: 'direct',
  ssh_host: '',
  ssh_port: 22,
  conn_kwargs,
});

describe("Mage's conn_kwargs", () => {
  it('reads with the connect timeout it names and SSL off; Python-client options are ignored with a warning', async () => {
    const { logger, lines } = capturingLogger();
    const config = mageConfig({ ssl_disabled: true, connect_timeout: 5, autocommit: true, use_pure: true }) as never;
    const client = new MySQL({ config, logger });
    const catalog = await client.discover();
    expect(catalog.streams.map((s) => s.stream)).toContain('users');
    const warnings = lines.join('\n');
    expect(warnings).toMatch(/conn_kwargs\.autocommit is ignored/);
    expect(warnings).toMatch(/conn_kwargs\.use_pure is ignored/);
  });

  it('ssl_ca turns TLS on (the server without TLS refuses the connection); a key mage-int does not know is refused', async () => {
    const ca = join(dir, 'CARoot.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const ctx = { logger: capturingLogger().logger, signal: new AbortController().signal };
    const withCa = await mysqlSource.check(mageConfig({ ssl_ca: ca }) as never, ctx);
    expect(withCa.ok).toBe(false);
    expect(withCa.message).toMatch(/SSL|TLS|secure/i);
    // The same config without conn_kwargs connects: only the TLS request differs.
    expect((await mysqlSource.check(db.config, ctx)).ok).toBe(true);

    expect(() => new MySQL({ config: mageConfig({ ssl_ca: ca, tcp_nodelay: true }) as never })).toThrow(
      /"conn_kwargs\.tcp_nodelay" is not a known setting/,
    );
  });
});
