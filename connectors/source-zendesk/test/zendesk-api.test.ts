// Against the real Zendesk API: runs only when ZENDESK_SUBDOMAIN, ZENDESK_EMAIL and ZENDESK_API_TOKEN are set (the
// test only reads). Use a sandbox or trial account; an admin's token reads every stream.
import { describe, expect, it } from 'vitest';
import { testContext } from '@mage-int/testkit';
import source from '../src/index.js';
import { readStreams } from './helpers.js';

const subdomain = process.env['ZENDESK_SUBDOMAIN'];
const email = process.env['ZENDESK_EMAIL'];
const apiToken = process.env['ZENDESK_API_TOKEN'];

describe.skipIf(!subdomain || !email || !apiToken)('the real Zendesk API (ZENDESK_SUBDOMAIN, ZENDESK_EMAIL, ZENDESK_API_TOKEN)', () => {
  it('checks the token, then reads groups and the ticket export with bookmarks', async () => {
    const config = {
      subdomain: subdomain as string,
      email: email as string,
      api_token: apiToken as string,
      start_date: new Date(Date.now() - 30 * 86_400_000).toISOString(),
    };
    const ctx = testContext('source-zendesk');
    try {
      expect((await source.check(config, ctx)).ok).toBe(true);
    } finally {
      ctx.dispose();
    }
    const { records, state } = await readStreams(config, ['groups', 'tickets']);
    for (const record of [...(records['groups'] ?? []), ...(records['tickets'] ?? [])]) {
      expect(Number.isInteger(record['id'])).toBe(true);
    }
    expect(state?.bookmarks['tickets']?.replication_key).toBe('updated_at');
  }, 180_000);
});
