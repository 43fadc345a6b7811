import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { status } from '@grpc/grpc-js';
import { Decimal } from '@mage-int/core';
import { startGoogleAnalyticsStandIn, testContext, type GoogleAnalyticsStandIn } from '@mage-int/testkit';
import source from '../src/index.js';
import { capturingLogger, configFor, daysAgo, readStreams, seed } from './helpers.js';

let ga: GoogleAnalyticsStandIn;
beforeEach(async () => {
  ga = await startGoogleAnalyticsStandIn();
});
afterEach(() => ga.close());

const COUNTRIES = ['Brazil', 'Canada', 'France', 'Japan', 'Kenya'];

describe('source-google-analytics against a gRPC stand-in of the Data API', () => {
  it('reads a report by day to the last page (offset/limit until rowCount), keyed by date and the dimensions', async () => {
    seed(ga, 5, COUNTRIES);
    const { records, messages, state } = await readStreams(configFor(ga, { page_size: 7 }), ['traffic']);
    expect(records['traffic']).toHaveLength(25);
    const reads = ga.calls.filter((c) => c.limit === 7);
    expect(reads.map((c) => c.offset)).toEqual([0, 7, 14, 21]);
    expect(reads[0]?.dimensions).toEqual(['date', 'country']);
    expect(reads[0]?.dateRanges).toEqual([{ startDate: daysAgo(10), endDate: new Date().toISOString().slice(0, 10) }]);
    const row = records['traffic']?.find((r) => r['date'] === daysAgo(2) && r['country'] === 'Canada');
    expect(row).toMatchObject({ activeUsers: 21, sessions: 25 });
    // Float and currency metrics arrive exact: the API's text, not a rounded double.
    expect(String(row?.['engagementRate'])).toBe('0.51');
    expect(String(row?.['totalRevenue'])).toBe('39.98');
    const schema = messages.find((m) => m.type === 'SCHEMA' && m.stream === 'traffic');
    expect(schema).toMatchObject({
      key_properties: ['date', 'country'],
      schema: {
        properties: {
          date: { format: 'date' },
          activeUsers: { type: ['null', 'integer'] },
          totalRevenue: { type: ['null', 'number'], 'x-decimal': true },
        },
      },
    });
    expect(state?.bookmarks['traffic']).toMatchObject({ replication_key: 'date', replication_key_value: daysAgo(1) });
  });

  it('keeps many-digit decimals exact', async () => {
    // biome-ignore lint/correctness/noPrecisionLoss: the stand-in sends this double's 17-digit shortest text; those digits must arrive unrounded
    ga.add(daysAgo(1), { country: 'Chile' }, { activeUsers: 1, sessions: 1, engagementRate: 0.1, totalRevenue: 1234567.8912345678 });
    const { records } = await readStreams(configFor(ga), ['traffic']);
    const revenue = records['traffic']?.[0]?.['totalRevenue'];
    expect(typeof revenue === 'number' || revenue instanceof Decimal).toBe(true);
    // biome-ignore lint/correctness/noPrecisionLoss: the same double as above, as text
    expect(String(revenue)).toBe(String(1234567.8912345678));
  });

  it('a second run re-reads the lookback window for late data and keeps the bookmark', async () => {
    seed(ga, 5, COUNTRIES);
    const config = configFor(ga, { lookback_window_days: 2 });
    const first = await readStreams(config, ['traffic']);
    expect(first.records['traffic']).toHaveLength(25);
    // Late data for yesterday, and today's first numbers.
    ga.add(daysAgo(1), { country: 'Brazil' }, { activeUsers: 100, sessions: 100, engagementRate: 0, totalRevenue: 0 });
    ga.add(daysAgo(0), { country: 'Brazil' }, { activeUsers: 3, sessions: 3, engagementRate: 0, totalRevenue: 0 });
    ga.calls.length = 0;
    const second = await readStreams(config, ['traffic'], first.state);
    const read = ga.calls.at(-1);
    // The bookmark (yesterday) moved back two days.
    expect(read?.dateRanges[0]?.startDate).toBe(daysAgo(3));
    expect(second.records['traffic']?.map((r) => r['date']).sort()[0]).toBe(daysAgo(3));
    expect(second.records['traffic']?.find((r) => r['date'] === daysAgo(1) && r['country'] === 'Brazil')).toMatchObject({
      activeUsers: 110,
    });
    expect(second.records['traffic']).toHaveLength(5 * 3 + 1);
    expect(second.state?.bookmarks['traffic']).toMatchObject({ replication_key_value: daysAgo(0) });
  });

  it('retries RESOURCE_EXHAUSTED (quota) with backoff, then reads on', async () => {
    seed(ga, 2, COUNTRIES);
    const { logger, lines } = capturingLogger();
    ga.fail({ code: status.RESOURCE_EXHAUSTED, details: 'Exhausted property tokens per hour for this property', times: 2 });
    const { records } = await readStreams(configFor(ga), ['traffic'], undefined, logger);
    expect(records['traffic']).toHaveLength(10);
    expect(ga.calls.filter((c) => c.fault)).toHaveLength(2);
    expect(lines.join('\n')).toMatch(/RESOURCE_EXHAUSTED.*retry 2\/5/);
  });

  it('fails on UNAUTHENTICATED naming the credential setting, and on quota after max_retries', async () => {
    ga.fail({ code: status.UNAUTHENTICATED, details: 'Request had invalid authentication credentials.' });
    const error = await readStreams(
      configFor(ga, { credentials_json: '{"client_email":"x@y.iam.gserviceaccount.com","private_key":"secret-pem"}' }),
      ['traffic'],
    ).then(
      () => undefined,
      (e: unknown) => e as Error & { field?: string },
    );
    expect(error?.field).toBe('credentials_json');
    expect(error?.message).toMatch(/UNAUTHENTICATED/);
    expect(error?.message).not.toContain('secret-pem');

    ga.fail({ code: status.RESOURCE_EXHAUSTED, details: 'Exhausted concurrent requests', times: 10 });
    await expect(readStreams(configFor(ga, { max_retries: 1 }), ['traffic'])).rejects.toThrow(/RESOURCE_EXHAUSTED/);
    expect(ga.calls.filter((c) => c.fault)).toHaveLength(1 + 2);
  });

  it('refuses a key that is not a service account key, naming the setting, before any call', async () => {
    const ctx = testContext('source-google-analytics');
    try {
      const result = await source.check({ ...configFor(ga), plaintext: false, credentials_json: 'not json' }, ctx);
      expect(result.ok).toBe(false);
      expect(result.message).toMatch(/credentials_json/);
      const path = await source.check({ ...configFor(ga), plaintext: false, credentials_path: '/nonexistent/key.json' }, ctx);
      expect(path.message).toMatch(/credentials_path/);
    } finally {
      ctx.dispose();
    }
    expect(ga.calls).toHaveLength(0);
  });

  it('reads a report with fixed date ranges whole (FULL_TABLE), and names the report on an unknown metric', async () => {
    seed(ga, 5, COUNTRIES);
    const config = configFor(ga, {
      reports: [
        {
          name: 'devices',
          dimensions: ['deviceCategory'],
          metrics: ['activeUsers'],
          date_ranges: [{ start_date: '7daysAgo', end_date: 'today' }],
        },
      ],
    });
    const { records, state } = await readStreams(config, ['devices']);
    expect(records['devices']?.map((r) => r['deviceCategory']).sort()).toEqual(['desktop', 'mobile']);
    expect(state?.bookmarks['devices']?.replication_key_value).toBeUndefined();
    const bad = configFor(ga, { reports: [{ name: 'broken', dimensions: ['country'], metrics: ['sesions'] }] });
    await expect(readStreams(bad, ['broken'])).rejects.toThrow(/reports\[broken\].*sesions|sesions/);
  });
});
