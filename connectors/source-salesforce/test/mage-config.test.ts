// A Salesforce config written the way Mage documents it (`domain`, `api_type`, `streams`, a refresh token), read
// against the Salesforce stand-in.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { capturingLogger, startSalesforceStandIn, type SalesforceStandIn } from '@mage-int/testkit';
import type { Config } from '../src/index.js';
import { ids, readStreams } from './helpers.js';

let salesforce: SalesforceStandIn;
beforeAll(async () => {
  salesforce = await startSalesforceStandIn({ counts: { Account: 5 }, queryBatchSize: 2, bulkPageSize: 2 });
});
afterAll(() => salesforce.close());
afterEach(() => {
  vi.unstubAllGlobals();
});

/** Mage's config: OAuth refresh token, `domain` and `api_type`; mage-int's request budget and poll interval for speed. */
function mageConfig(extra: Record<string, unknown>): Config {
  return {
    client_id: salesforce.clientId,
    client_secret: salesforce.clientSecret,
    refresh_token: salesforce.refreshToken,
    start_date: '2020-01-01T00:00:00Z',
    streams: ['Account'],
    max_requests_per_second: 1000,
    bulk_poll_interval_seconds: 0.05,
    ...extra,
  } as Config;
}

/**
 * Requests to https://<domain>.salesforce.com are answered by the stand-in (nothing leaves 127.0.0.1); returns the
 * hosts asked.
 */
function salesforceHostsToStandIn(): string[] {
  const real = globalThis.fetch;
  const hosts: string[] = [];
  vi.stubGlobal('fetch', (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.hostname.endsWith('.salesforce.com')) {
      hosts.push(url.hostname);
      return real(new URL(`${url.pathname}${url.search}`, salesforce.url), init);
    }
    if (url.hostname !== '127.0.0.1') throw new Error(`a test request may not leave 127.0.0.1: ${url.href}`);
    return real(input, init);
  });
  return hosts;
}

const bulkJobs = (from: number) => salesforce.requests.slice(from).filter((r) => /\/jobs\/query$/.test(r.path) && r.method === 'POST');

describe("Mage's Salesforce keys", () => {
  it('domain: test logs in at https://test.salesforce.com (sandboxes); login at https://login.salesforce.com', async () => {
    const hosts = salesforceHostsToStandIn();
    const { records } = await readStreams(mageConfig({ domain: 'test' }), ['Account']);
    expect(ids(records['Account']).sort()).toEqual(ids(salesforce.live('Account')).sort());
    expect(hosts).toContain('test.salesforce.com');
    expect(hosts).not.toContain('login.salesforce.com');

    hosts.length = 0;
    await readStreams(mageConfig({ domain: 'login' }), ['Account']);
    expect(hosts).toContain('login.salesforce.com');
    await expect(readStreams(mageConfig({ domain: 'test', base_url: salesforce.url }), ['Account'])).rejects.toThrow(
      /"domain" \(test: https:\/\/test\.salesforce\.com\) and "base_url" .* say different places to log in/,
    );
  });

  it('api_type: REST never starts a Bulk API job (even with bulk_threshold 0), BULK always does', async () => {
    let before = salesforce.requests.length;
    const rest = await readStreams(mageConfig({ base_url: salesforce.url, api_type: 'REST', bulk_threshold: 0 }), ['Account']);
    expect(ids(rest.records['Account']).sort()).toEqual(ids(salesforce.live('Account')).sort());
    expect(bulkJobs(before)).toHaveLength(0);

    before = salesforce.requests.length;
    const bulk = await readStreams(mageConfig({ base_url: salesforce.url, api_type: 'BULK' }), ['Account']);
    expect(ids(bulk.records['Account']).sort()).toEqual(ids(salesforce.live('Account')).sort());
    // 5 rows, far below the default bulk_threshold of 100,000: Bulk API 2.0 only because api_type says so.
    expect(bulkJobs(before)).toHaveLength(1);
    expect(salesforce.requests.slice(before).some((r) => /SELECT COUNT\(\)/.test(r.query.get('q') ?? ''))).toBe(false);
  });

  it("Mage's template keys: select_fields_by_default true reads every field, threshold is accepted with a warning", async () => {
    const { logger, lines } = capturingLogger();
    const config = mageConfig({ base_url: salesforce.url, api_type: 'REST', select_fields_by_default: true, threshold: 1000 });
    const { records } = await readStreams(config, ['Account'], undefined, logger);
    expect(ids(records['Account']).sort()).toEqual(ids(salesforce.live('Account')).sort());
    // every field the stand-in describes, not only Id and the replication key
    expect(Object.keys(records['Account']?.[0] ?? {}).length).toBeGreaterThan(2);
    expect(lines.join('\n')).toMatch(/threshold .*has no effect; bulk_threshold chooses/);
    // false: test/select-fields.test.ts
  });
});
