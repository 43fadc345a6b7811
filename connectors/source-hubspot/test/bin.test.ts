import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTap, startHubSpotStandIn, type HubSpotStandIn } from '@mage-int/testkit';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
let hubspot: HubSpotStandIn;
const tap = (config: Record<string, unknown>) => runTap(packageDir, config);

describe('source-hubspot as a Singer tap', () => {
  beforeAll(async () => {
    hubspot = await startHubSpotStandIn({
      accessToken: 'pat-na1-bin0secret0value',
      oauth: { clientId: 'bin-client', clientSecret: 'bin0client0secret', refreshToken: 'bin0refresh0token' },
    });
  }, 120_000);
  afterAll(() => hubspot.close());

  it('writes Singer messages over OAuth, logs the retry wait, and never prints a secret or token, even at debug level', async () => {
    hubspot.rateLimitNext('/crm/v3/objects/contacts/search', 1);
    const result = await tap({
      client_id: 'bin-client',
      client_secret: 'bin0client0secret',
      refresh_token: 'bin0refresh0token',
      base_url: hubspot.url,
      max_search_requests_per_second: 100,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.split('\n').filter((line) => line.includes('"type":"RECORD"')).length).toBeGreaterThan(30);
    expect(result.stderr).toMatch(/POST \/crm\/v3\/objects\/contacts\/search: HTTP 429; retry 1\/5 in 1\.0 s \(Retry-After\)/);
    expect(result.stdout + result.stderr).not.toMatch(/bin0client0secret|bin0refresh0token|oauth-[0-9a-f]{8}/);
  });

  it("exits non-zero on a rejected token, naming access_token and HubSpot's correlation id, without printing the token", async () => {
    const result = await tap({ access_token: 'pat-na1-rejected0secret', base_url: hubspot.url });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/access_token/);
    expect(result.stderr).toMatch(
      /HTTP 401: Authentication credentials not found\. \(INVALID_AUTHENTICATION\) \(correlation id [0-9a-f-]{36}\)/,
    );
    expect(result.stdout + result.stderr).not.toContain('rejected0secret');
  });
});
