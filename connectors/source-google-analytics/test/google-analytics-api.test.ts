// Against the real GA4 Data API: runs only when GA_PROPERTY_ID and GOOGLE_APPLICATION_CREDENTIALS (a service account
// key file with Viewer on the property) are set. The test only reads.
import { describe, expect, it } from 'vitest';
import type { Config } from '../src/index.js';
import { readStreams } from './helpers.js';

const propertyId = process.env['GA_PROPERTY_ID'];
const keyFile = process.env['GOOGLE_APPLICATION_CREDENTIALS'];

describe.skipIf(!propertyId || !keyFile)('the real GA4 Data API (GA_PROPERTY_ID, GOOGLE_APPLICATION_CREDENTIALS)', () => {
  it('reads a week of active users by country, keyed by date and country, with a date bookmark', async () => {
    const config: Config = {
      property_id: propertyId as string,
      credentials_path: keyFile as string,
      start_date: new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10),
      reports: [{ name: 'users_by_country', dimensions: ['country'], metrics: ['activeUsers', 'sessions'] }],
    };
    const { records, state } = await readStreams(config, ['users_by_country']);
    for (const record of records['users_by_country'] ?? []) {
      expect(record['date']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(Number.isInteger(record['activeUsers'])).toBe(true);
    }
    expect(state?.bookmarks['users_by_country']?.replication_key).toBe('date');
  }, 120_000);
});
