// The driver-level behaviour on the stand-in: key-pair login (a JWT the stand-in verifies against the user's public
// key), session-token expiry (390112) and renewal by the driver, a named stage instead of the table stage, and
// Snowflake's errors reaching the user with their code and a hint.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatError, silentLogger, type SourceMessage } from '@mage-int/core';
import type { SnowflakeStandIn } from '@mage-int/testkit';
import destination, {
  connectionOptions,
  isSnowflakeHost,
  resolveConfig,
  SnowflakeConnection,
  SnowflakeDestination,
  SnowflakeDialect,
} from '../src/index.js';
import type { Config } from '../src/generated/config.js';
import { standInConfig } from './stand-in.js';

const ctx = () => ({ logger: silentLogger, signal: new AbortController().signal });
const messages = (ids: number[]): SourceMessage[] => [
  {
    type: 'SCHEMA',
    stream: 'items',
    schema: { type: 'object', properties: { id: { type: 'integer' }, name: { type: ['null', 'string'] } } },
    key_properties: ['id'],
  },
  ...ids.map((id): SourceMessage => ({ type: 'RECORD', stream: 'items', record: { id, name: `n${id}` } })),
];
async function load(config: Config, input: SourceMessage[]): Promise<void> {
  async function* stream() {
    yield* input;
  }
  for await (const _ of new SnowflakeDestination({ config, logger: silentLogger }).write(stream(), { streams: {} })) {
    // states are not looked at here
  }
}

describe('the Snowflake stand-in with snowflake-sdk', () => {
  let standIn: SnowflakeStandIn;
  let config: Config;
  beforeAll(async () => {
    ({ standIn, config } = await standInConfig());
  });
  afterAll(() => standIn.close());

  it('logs in with a key pair (encrypted PEM file + passphrase, or the key as text) and refuses a key the user does not have', async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    standIn.addUser('keyed', { publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() });
    const folder = mkdtempSync(join(tmpdir(), 'mage-int-sf-key-'));
    const path = join(folder, 'rsa_key.p8');
    writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' }));
    const { password: _, ...base } = config;
    expect(
      await destination.check({ ...base, user: 'keyed', private_key_path: path, private_key_passphrase: 'secret' }, ctx()),
    ).toMatchObject({ ok: true });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(await destination.check({ ...base, user: 'keyed', private_key: pem }, ctx())).toMatchObject({ ok: true });
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const refused = await destination.check({ ...base, user: 'keyed', private_key: other }, ctx());
    expect(refused.ok).toBe(false);
    expect(refused.message).toMatch(/390144/);
    expect(() => resolveConfig(base)).toThrow(/password, or private_key_path/);
  });

  it("takes Mage's keys: username, private_key_file and private_key_file_pwd, use_batch_load, disable_double_quotes: true", async () => {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    standIn.addUser('mage_user', { publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() });
    const path = join(mkdtempSync(join(tmpdir(), 'mage-int-sf-mage-')), 'snowflake_private_key.p8');
    writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pwd' }));
    const { password: _, user: __, ...base } = config;
    const mage = {
      ...base,
      username: 'mage_user',
      private_key_file: path,
      private_key_file_pwd: 'pwd',
      role: null,
      use_batch_load: true,
      disable_double_quotes: true,
    } as unknown as Config;
    await load(mage, messages([1, 2]));
    expect((await standIn.rows(config.schema.toUpperCase(), 'ITEMS')).map((r) => String(r['ID'])).sort()).toEqual(['1', '2']);
    // Mage's default: names in double quotes as they are (lower case), the schema as written.
    const quotedSchema = `mage_quoted_${process.pid}`;
    const quoted = { ...mage, schema: quotedSchema, disable_double_quotes: false } as unknown as Config;
    await load(quoted, messages([3]));
    expect(await standIn.tableNames(quotedSchema)).toEqual(['items']);
    expect(standIn.statements.some((sql) => sql.includes(`"${quotedSchema}"."items"`) && /"id"/.test(sql))).toBe(true);
    expect((await standIn.rows(quotedSchema, 'items')).map((r) => String(r['id']))).toEqual(['3']);
    // and a second load finds the quoted columns again (an upsert, no new column)
    await load(quoted, messages([3, 4]));
    expect((await standIn.rows(quotedSchema, 'items')).map((r) => String(r['id'])).sort()).toEqual(['3', '4']);
  });

  it("Mage's table and skip_schema_creation: the one stream's named table; no CREATE SCHEMA, so a missing schema stops the run", async () => {
    const mage = { ...config, table: 'dim_users_v1', lower_case: true } as unknown as Config;
    await load(mage, messages([1]));
    expect(await standIn.tableNames(config.schema.toUpperCase())).toContain('DIM_USERS_V1');
    await expect(
      load(mage, [...messages([2]), { ...(messages([])[0] as SourceMessage & { type: 'SCHEMA' }), stream: 'other' }]),
    ).rejects.toThrow(/"table" names one table \(dim_users_v1\) but streams "items" and "other" both arrived/);
    const before = standIn.statements.length;
    await load({ ...config, skip_schema_creation: true } as Config, messages([3]));
    expect(standIn.statements.slice(before).some((sql) => /CREATE SCHEMA/i.test(sql))).toBe(false);
    const absent = { ...config, schema: `absent_${process.pid}`, skip_schema_creation: true } as Config;
    await expect(load(absent, messages([4]))).rejects.toThrow(/ABSENT_\d+/);
    expect(await destination.check(absent, ctx())).toMatchObject({ ok: false });
  });

  it('renews an expired session token (390112) with the master token and carries on', async () => {
    const dialect = new SnowflakeDialect();
    const connection = await SnowflakeConnection.open(connectionOptions(resolveConfig(config)), dialect, { logger: silentLogger });
    try {
      // (The stand-in keeps an unquoted alias's case, as DuckDB does; Snowflake would name it ONE. A NUMBER comes
      // typed `fixed`, which the sdk converts to a JavaScript number.)
      expect(await connection.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
      standIn.expireSessionTokens();
      const before = standIn.requestsTo('/session/token-request').length;
      expect(await connection.query('SELECT 2 AS two')).toEqual([{ two: 2 }]);
      expect(standIn.requestsTo('/session/token-request').length).toBe(before + 1);
    } finally {
      await connection.close();
    }
  });

  it('a query request answered 503 or with a reset connection is sent again by the driver', async () => {
    const connection = await SnowflakeConnection.open(connectionOptions(resolveConfig(config)), new SnowflakeDialect(), {
      logger: silentLogger,
    });
    try {
      standIn.fail({ path: '/queries/v1/query-request', response: { status: 503, body: { message: 'Service Unavailable' } } });
      expect(await connection.query('SELECT 3 AS three')).toEqual([{ three: 3 }]);
      standIn.fail({ path: '/queries/v1/query-request', reset: true });
      expect(await connection.query('SELECT 4 AS four')).toEqual([{ four: 4 }]);
      const faults = standIn.requestsTo('/queries/v1/query-request').filter((r) => r.fault);
      expect(faults.map((r) => r.status)).toEqual([503, 0]);
    } finally {
      await connection.close();
    }
  }, 60_000);

  it('loads through a named stage when `stage` is set, and PURGE leaves it empty', async () => {
    const dialect = new SnowflakeDialect();
    const connection = await SnowflakeConnection.open(connectionOptions(resolveConfig(config)), dialect, { logger: silentLogger });
    await connection.execute('CREATE STAGE IF NOT EXISTS MAGE_LOADS');
    await connection.close();
    await load({ ...config, stage: 'MAGE_LOADS' }, messages([1, 2, 3]));
    expect(standIn.statements.some((s) => s.startsWith("PUT 'file://") && s.includes(' @MAGE_LOADS/_mage_stage_'))).toBe(true);
    expect((await standIn.rows(config.schema.toUpperCase(), 'ITEMS')).length).toBe(3);
    expect(standIn.stagedFiles()).toEqual([]);
  });

  it('reports Snowflake errors with their code and a hint; a wrong database at login is refused', async () => {
    const wrong = await destination.check({ ...config, database: 'NO_SUCH_DB' }, ctx());
    expect(wrong.ok).toBe(false);
    expect(formatError(wrong.error)).toMatch(/390201/);
    const missingStage = load({ ...config, stage: 'NOT_THERE' }, messages([1]));
    await expect(missingStage).rejects.toThrow(/Stage 'NOT_THERE' does not exist or not authorized.*002003/s);
  });

  it('turns OCSP checks off only for hosts outside snowflakecomputing.com', () => {
    expect(isSnowflakeHost(undefined)).toBe(true);
    expect(isSnowflakeHost('https://myorg-acct.snowflakecomputing.com')).toBe(true);
    expect(isSnowflakeHost('https://acct.privatelink.snowflakecomputing.com')).toBe(true);
    expect(isSnowflakeHost(standIn.url)).toBe(false);
  });
});
