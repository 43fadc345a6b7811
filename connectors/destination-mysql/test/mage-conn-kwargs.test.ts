// Mage's `conn_kwargs` (mysql-connector-python's connection arguments) in a MySQL destination config as Mage documents
// it, against the local MariaDB (which has TLS switched off: a config that asks for TLS must be refused by the server).
// The mapping is core's applyMysqlConnKwargs, shared with source-mysql.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturingLogger } from '@mage-int/testkit';
import { MySQL } from '../src/index.js';
import { dropDatabase, readRows, SERVER, uniqueDatabase } from './mysql-server.js';

const database = uniqueDatabase('mage_conn_kwargs');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mage-dst-conn-kwargs-'));
});
afterAll(async () => {
  await dropDatabase(database);
  rmSync(dir, { recursive: true, force: true });
});

/** Mage's MySQL destination block: connection_method direct, empty ssh settings, and conn_kwargs. */
const mageConfig = (conn_kwargs: Record<string, unknown>) =>
  ({ ...SERVER, database, connection_method: 'direct', ssh_host: '', ssh_port: 22, use_lowercase: true, conn_kwargs }) as never;

describe("Mage's conn_kwargs (destination)", () => {
  it('loads with SSL off and the connect timeout it names; Python-client options are ignored with a warning', async () => {
    const { logger, lines } = capturingLogger();
    const client = new MySQL({
      config: mageConfig({ ssl_disabled: true, connect_timeout: 5, autocommit: true, charset: 'utf8mb4' }),
      logger,
    });
    await client.load([
      {
        type: 'SCHEMA',
        stream: 'users',
        key_properties: ['id'],
        schema: { type: 'object', properties: { id: { type: 'integer' }, name: { type: 'string' } } },
      },
      { type: 'RECORD', stream: 'users', record: { id: 1, name: 'ada' } },
      { type: 'RECORD', stream: 'users', record: { id: 2, name: 'grace' } },
    ]);
    expect((await readRows(database, 'users'))?.map((r) => r['name'])).toEqual(['ada', 'grace']);
    const warnings = lines.join('\n');
    expect(warnings).toMatch(/destination mysql: conn_kwargs\.autocommit is ignored/);
    expect(warnings).toMatch(/destination mysql: conn_kwargs\.charset is ignored/);
  });

  it('ssl_ca turns TLS on (the server without TLS refuses the connection); a key mage-int does not know is refused', async () => {
    const ca = join(dir, 'CARoot.pem');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const withCa = await new MySQL({ config: mageConfig({ ssl_ca: ca }), logger: capturingLogger().logger }).check();
    expect(withCa.ok).toBe(false);
    expect(withCa.message).toMatch(/SSL|TLS|secure/i);
    // The same config without the CA connects: only the TLS request differs.
    expect((await new MySQL({ config: mageConfig({ ssl_disabled: true }) }).check()).ok).toBe(true);

    expect(() => new MySQL({ config: mageConfig({ tcp_nodelay: true }) })).toThrow(/"conn_kwargs\.tcp_nodelay" is not a known setting/);
  });
});
