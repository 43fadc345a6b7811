import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import duckdb from '@mage-int/destination-duckdb';
import { duckdbScratch, repeatableRun, startHubSpotStandIn, type HubSpotStandIn } from '@mage-int/testkit';
import hubspotSource from '../src/index.js';

let hubspot: HubSpotStandIn;
const duck = duckdbScratch('source-hubspot');
beforeAll(async () => {
  hubspot = await startHubSpotStandIn({ counts: { contacts: 12, deals: 5 } });
});
afterAll(async () => {
  await hubspot.close();
  duck.remove();
});

describe('HubSpot into DuckDB', () => {
  it('loads contacts and deals with typed columns, then a second run applies only the changes (an update and an archive)', async () => {
    const run = repeatableRun({
      id: 'hubspot-duckdb',
      source: {
        connector: hubspotSource,
        config: {
          access_token: hubspot.accessToken,
          base_url: hubspot.url,
          page_size: 5,
          max_search_requests_per_second: 100,
          search_lag_seconds: 0,
        },
      },
      destination: { connector: duckdb, config: { path: duck.path, hard_delete: true } },
      select: ['contacts', 'deals'],
    });

    const first = await run();
    expect(first.streams['contacts']?.records).toBe(12);
    expect(first.streams['deals']?.records).toBe(5);
    expect(await duck.rows('SELECT count(*)::INTEGER AS n FROM contacts')).toEqual([{ n: 12 }]);
    // Numbers of unknown scale keep their exact digits (DuckDB's destination stores them as text).
    const [firstDeal] = hubspot.live('deals');
    const [deal] = await duck.rows(
      `SELECT properties_amount::VARCHAR AS amount, typeof(properties_closedate) AS closedate FROM deals WHERE id = '${String(firstDeal?.id)}'`,
    );
    expect(deal?.['amount']).toBe(firstDeal?.properties['amount']);
    expect(deal?.['closedate']).toMatch(/^TIMESTAMP/);
    const [optout] = await duck.rows('SELECT typeof(properties_hs_email_optout) AS t FROM contacts LIMIT 1');
    expect(optout?.['t']).toBe('BOOLEAN');

    const [a, b] = hubspot.live('contacts');
    await new Promise((resolve) => setTimeout(resolve, 5));
    hubspot.update('contacts', String(a?.id), { email: 'moved@example.com' });
    hubspot.archive('contacts', String(b?.id));

    const second = await run();
    // The two changes, and the records sharing the bookmark's millisecond (read again, upserted).
    expect(second.streams['contacts']?.records).toBeLessThanOrEqual(4);
    expect(second.streams['contacts']?.records).toBeGreaterThanOrEqual(2);
    expect(await duck.rows('SELECT count(*)::INTEGER AS n FROM contacts')).toEqual([{ n: 11 }]);
    expect(await duck.rows(`SELECT properties_email FROM contacts WHERE id = '${String(a?.id)}'`)).toEqual([
      { properties_email: 'moved@example.com' },
    ]);
  }, 60_000);
});
