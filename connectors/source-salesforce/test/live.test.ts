// Against a real Salesforce org, only when credentials are in the environment (SALESFORCE_CLIENT_ID,
// SALESFORCE_CLIENT_SECRET, SALESFORCE_REFRESH_TOKEN, and SALESFORCE_LOGIN_URL for sandboxes); skipped otherwise.
import { describe, expect, it } from 'vitest';
import { SalesforceSource } from '../src/index.js';
import { readStreams } from './helpers.js';

const env = process.env;
const ready = Boolean(env['SALESFORCE_CLIENT_ID'] && env['SALESFORCE_CLIENT_SECRET'] && env['SALESFORCE_REFRESH_TOKEN']);

describe.skipIf(!ready)('a real Salesforce org', () => {
  it('checks the login, discovers Account from describe and reads a week of Accounts', async () => {
    const config = {
      client_id: env['SALESFORCE_CLIENT_ID'] as string,
      client_secret: env['SALESFORCE_CLIENT_SECRET'] as string,
      refresh_token: env['SALESFORCE_REFRESH_TOKEN'] as string,
      ...(env['SALESFORCE_LOGIN_URL'] ? { base_url: env['SALESFORCE_LOGIN_URL'] } : {}),
      objects: ['Account'],
    };
    expect(await new SalesforceSource({ config }).check()).toEqual({ ok: true });
    const catalog = await new SalesforceSource({ config }).discover();
    expect(catalog.streams.map((s) => s.stream)).toEqual(['Account']);
    const { records } = await readStreams({ ...config, start_date: new Date(Date.now() - 7 * 86_400_000).toISOString() }, ['Account']);
    for (const record of records['Account'] ?? []) expect(typeof record['Id']).toBe('string');
  }, 120_000);
});
