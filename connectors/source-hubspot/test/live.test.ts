// Against the real HubSpot API, only when a private app token is in the environment (HUBSPOT_ACCESS_TOKEN, with
// crm.objects.contacts.read and crm.objects.owners.read); skipped otherwise, so CI needs no credentials.
import { describe, expect, it } from 'vitest';
import { HubSpotSource } from '../src/index.js';
import { readStreams } from './helpers.js';

const token = process.env['HUBSPOT_ACCESS_TOKEN'];

describe.skipIf(!token)('the real HubSpot API', () => {
  it('checks the token, discovers contacts from the properties API and reads owners and a page of contacts', async () => {
    const config = { access_token: token as string, page_size: 10 };
    expect(await new HubSpotSource({ config }).check()).toEqual({ ok: true });
    const catalog = await new HubSpotSource({ config }).discover();
    const contacts = catalog.streams.find((s) => s.stream === 'contacts');
    expect(contacts?.schema.properties?.['properties_email']).toBeDefined();
    const { records } = await readStreams({ ...config, start_date: new Date(Date.now() - 7 * 86_400_000).toISOString() }, [
      'owners',
      'contacts',
    ]);
    for (const record of records['contacts'] ?? []) expect(typeof record['id']).toBe('string');
  }, 120_000);
});
