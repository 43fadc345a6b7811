import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, validateConfig } from '@mage-int/core';
import source from '../src/index.js';
import type { Config } from '../src/generated/config.js';
import { createTestDatabase, type TestDatabase } from './helpers.js';

let db: TestDatabase;
const ctx = () => ({ logger: silentLogger, signal: new AbortController().signal });

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => db.drop());

describe('SSL settings', () => {
  it('ssl_mode require against a server without SSL says so, with the setting to change', async () => {
    const result = await source.check({ ...db.config, ssl_mode: 'require' }, ctx());
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/SSL connection to postgres@127\.0\.0\.1:5432\/.* failed: The server does not support SSL connections/);
    expect(result.message).toContain('ssl_mode: disable');
  });

  it('takes the old setting names as deprecated aliases of ssl_ca_file, ssl_cert_file, ssl_key_file', () => {
    const warnings: string[] = [];
    const config = validateConfig<Config>(
      source.spec,
      {
        ...db.config,
        ssl_mode: 'verify-full',
        ssl_root_cert: '/certs/ca.pem',
        ssl_client_cert: '/certs/c.pem',
        ssl_client_key: '/certs/c.key',
      },
      'source postgres',
      (w) => warnings.push(w),
    );
    expect(config).toMatchObject({ ssl_ca_file: '/certs/ca.pem', ssl_cert_file: '/certs/c.pem', ssl_key_file: '/certs/c.key' });
    expect(config).not.toHaveProperty('ssl_root_cert');
    expect(warnings).toEqual([
      'source postgres: setting "ssl_root_cert" is deprecated, use "ssl_ca_file"',
      'source postgres: setting "ssl_client_cert" is deprecated, use "ssl_cert_file"',
      'source postgres: setting "ssl_client_key" is deprecated, use "ssl_key_file"',
    ]);
  });

  it('reports an unreadable certificate file by its setting', async () => {
    const result = await source.check({ ...db.config, ssl_mode: 'verify-full', ssl_ca_file: '/nonexistent/ca.pem' }, ctx());
    expect(result).toMatchObject({ ok: false, message: expect.stringContaining('cannot read ssl_ca_file /nonexistent/ca.pem') });
  });
});
