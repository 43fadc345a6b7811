import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import duckdb from '@mage-int/destination-duckdb';
import { duckdbScratch, repeatableRun, startGoogleAnalyticsStandIn, type GoogleAnalyticsStandIn } from '@mage-int/testkit';
import gaSource from '../src/index.js';
import { configFor, daysAgo, seed } from './helpers.js';

let ga: GoogleAnalyticsStandIn;
const duck = duckdbScratch('source-google-analytics');
beforeAll(async () => {
  ga = await startGoogleAnalyticsStandIn();
  seed(ga, 4, ['Brazil', 'Canada', 'France']);
});
afterAll(async () => {
  await ga.close();
  duck.remove();
});

describe('Google Analytics into DuckDB', () => {
  it('loads a report by day with typed metrics, then a second run replaces the late-changed days by key', async () => {
    const run = repeatableRun({
      id: 'ga-duckdb',
      source: { connector: gaSource, config: configFor(ga, { lookback_window_days: 1, page_size: 5 }) },
      destination: { connector: duckdb, config: { path: duck.path } },
      select: ['traffic'],
    });
    const query = duck.rows;

    expect((await run()).streams['traffic']?.records).toBe(12);
    expect(await query('SELECT typeof(date) AS d, typeof(activeUsers) AS u FROM traffic LIMIT 1')).toEqual([{ d: 'DATE', u: 'BIGINT' }]);
    // Currency arrives exact (an unbounded decimal: DuckDB keeps its digits).
    const [revenue] = await query(`SELECT totalRevenue AS r FROM traffic WHERE country = 'Canada' AND date = DATE '${daysAgo(2)}'`);
    expect(String(revenue?.['r'])).toBe('39.98');

    ga.add(daysAgo(1), { country: 'Canada' }, { activeUsers: 1000, sessions: 0, engagementRate: 0, totalRevenue: 0 });
    const second = await run();
    // Yesterday and the day before (lookback 1 day from the bookmark) are read again.
    expect(second.streams['traffic']?.records).toBe(6);
    expect(await query('SELECT count(*)::INTEGER AS n FROM traffic')).toEqual([{ n: 12 }]);
    expect(await query(`SELECT activeUsers::INTEGER AS u FROM traffic WHERE country = 'Canada' AND date = DATE '${daysAgo(1)}'`)).toEqual([
      { u: 1011 },
    ]);
  }, 60_000);
});
