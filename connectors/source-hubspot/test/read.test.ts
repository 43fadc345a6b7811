import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Decimal,
  emptyState,
  readStreams as readKit,
  setMetadata,
  silentLogger,
  stringifyRecord,
  type RecordData,
  type SourceMessage,
} from '@mage-int/core';
import { startHubSpotStandIn, type HubSpotProperty, type HubSpotStandIn } from '@mage-int/testkit';
import { connect, HubSpotSource, hubspotStreams } from '../src/index.js';
import { capturingLogger, configFor, ids, readStreams } from './helpers.js';

const custom = (name: string, type: string, fieldType: string): HubSpotProperty => ({
  name,
  label: name,
  type,
  fieldType,
  groupName: 'custom',
  description: '',
  options: [],
  hubspotDefined: false,
});

let hubspot: HubSpotStandIn;
beforeAll(async () => {
  hubspot = await startHubSpotStandIn({
    counts: { contacts: 25, deals: 4 },
    customProperties: {
      deals: [
        custom('deal_score', 'number', 'number'),
        custom('renewal_at', 'datetime', 'date'),
        custom('is_strategic', 'bool', 'booleancheckbox'),
        custom('tier', 'enumeration', 'checkbox'),
        custom('signed_on', 'date', 'date'),
      ],
    },
    scopedTokens: { 'pat-na1-contacts-only': ['crm.objects.contacts.read'] },
    oauth: { clientId: 'client-1', clientSecret: 'secret-1', refreshToken: 'refresh-1' },
  });
});
afterAll(() => hubspot.close());

const searchBodies = (path: string, from: number) =>
  hubspot
    .requestsTo(path)
    .slice(from)
    .filter((r) => !r.fault)
    .map(
      (r) =>
        JSON.parse(r.body) as {
          after?: string;
          limit: number;
          properties: string[];
          filterGroups: { filters: { propertyName: string; operator: string; value: string }[] }[];
        },
    );

describe('reading HubSpot through the official SDK', () => {
  it("discovers schemas from the properties API, custom properties typed from HubSpot's types", async () => {
    const catalog = await new HubSpotSource({ config: configFor(hubspot) }).discover();
    const deals = catalog.streams.find((s) => s.stream === 'deals');
    const columns = deals?.schema.properties ?? {};
    expect(columns['properties_deal_score']).toMatchObject({ type: ['null', 'number'], 'x-decimal': true });
    expect(columns['properties_renewal_at']).toMatchObject({ type: ['null', 'string'], format: 'date-time' });
    expect(columns['properties_signed_on']).toMatchObject({ type: ['null', 'string'], format: 'date' });
    expect(columns['properties_is_strategic']).toMatchObject({ type: ['null', 'boolean'] });
    expect(columns['properties_tier']).toMatchObject({ type: ['null', 'string'] });
    expect(columns['_sdc_deleted_at']).toBeDefined();
    expect(catalog.streams.map((s) => s.stream)).toEqual([
      'associations',
      'companies',
      'contacts',
      'deals',
      'engagements_calls',
      'engagements_emails',
      'engagements_meetings',
      'engagements_notes',
      'engagements_tasks',
      'line_items',
      'owners',
      'pipelines',
      'products',
      'tickets',
    ]);
  });

  it('converts values exactly: decimals beyond a double, epoch-ms datetimes, booleans, multi-select enumerations, dates', async () => {
    const [deal] = hubspot.live('deals');
    hubspot.update('deals', String(deal?.id), {
      deal_score: '12345678901234567890.123456789',
      renewal_at: '1717243200000',
      is_strategic: 'true',
      tier: 'gold;silver',
      signed_on: '2024-06-01',
      amount: '',
    });
    const { records } = await readStreams(configFor(hubspot), ['deals']);
    const record = records['deals']?.find((r) => r['id'] === deal?.id) as RecordData;
    expect(record['properties_deal_score']).toBeInstanceOf(Decimal);
    expect(stringifyRecord({ v: record['properties_deal_score'] })).toBe('{"v":12345678901234567890.123456789}');
    expect(record).toMatchObject({
      properties_renewal_at: '2024-06-01T12:00:00.000Z',
      properties_is_strategic: true,
      properties_tier: 'gold;silver',
      properties_signed_on: '2024-06-01',
      properties_amount: null,
    });
  });

  it('names stream, record and field when a value does not fit its property type', async () => {
    const [, deal] = hubspot.live('deals');
    hubspot.update('deals', String(deal?.id), { deal_score: 'lots' });
    const failure = readStreams(configFor(hubspot), ['deals']);
    await expect(failure).rejects.toMatchObject({
      code: 'HUBSPOT_VALUE_INVALID',
      stream: 'deals',
      record: deal?.id,
      field: 'properties_deal_score',
    });
    hubspot.update('deals', String(deal?.id), { deal_score: '7' });
  });

  it('pages search results by `after` to the end, in modified-date windows, asking only for the selected properties', async () => {
    const before = hubspot.requestsTo('/crm/v3/objects/contacts/search').length;
    const { records } = await readStreams(configFor(hubspot), ['contacts']);
    expect(ids(records['contacts']).sort()).toEqual(ids(hubspot.live('contacts')).sort());
    expect(new Set(ids(records['contacts'])).size).toBe(25);
    const bodies = searchBodies('/crm/v3/objects/contacts/search', before);
    expect(bodies.map((b) => b.after)).toEqual([undefined, '10', '20']);
    expect(bodies[0]?.limit).toBe(10);
    expect(bodies[0]?.filterGroups[0]?.filters.map((f) => `${f.propertyName} ${f.operator}`)).toEqual([
      'lastmodifieddate GTE',
      'lastmodifieddate LT',
    ]);
    expect(bodies[0]?.properties).toContain('email');
  });

  it('leaves records modified within search_lag_seconds for the next sync (the search index lags behind changes)', async () => {
    const first = await readStreams(configFor(hubspot), ['products']);
    const [product] = hubspot.live('products');
    hubspot.update('products', String(product?.id), { name: 'just changed' });
    const before = hubspot.requestsTo('/crm/v3/objects/products/search').length;
    const started = Date.now();
    const lagged = await readStreams(configFor(hubspot, { search_lag_seconds: 30 }), ['products'], first.state);
    expect(ids(lagged.records['products'])).not.toContain(product?.id);
    const upper = Number(searchBodies('/crm/v3/objects/products/search', before)[0]?.filterGroups[0]?.filters[1]?.value);
    expect(upper).toBeGreaterThanOrEqual(started - 30_000);
    expect(upper).toBeLessThanOrEqual(Date.now() - 30_000);
    const next = await readStreams(configFor(hubspot), ['products'], lagged.state ?? first.state);
    expect(ids(next.records['products'])).toContain(product?.id);
  });

  it('splits a time window that holds more than the search API returns, reading every record once', async () => {
    const capped = await startHubSpotStandIn({ counts: { companies: 0 }, searchCap: 20 });
    try {
      for (let i = 0; i < 45; i++) {
        capped.create('companies', { name: `c${i}` });
        capped.advance(1000);
      }
      const config = configFor(capped);
      const ctx = { logger: silentLogger, signal: new AbortController().signal };
      const catalog = await new HubSpotSource({ config }).discover();
      for (const stream of catalog.streams) setMetadata(stream, [], { selected: stream.stream === 'companies' });
      const out: RecordData[] = [];
      const streams = hubspotStreams(connect(config, ctx), config, { searchCap: 20, now: () => Date.now() + 3_600_000 });
      for await (const m of readKit(streams, catalog, emptyState(), ctx) as AsyncIterable<SourceMessage>)
        if (m.type === 'RECORD_BATCH') out.push(...m.records);
      expect(ids(out).sort()).toEqual(ids(capped.live('companies')).sort());
      expect(new Set(ids(out)).size).toBe(45);
      // Every query asked stayed within the cap: no request paged past it (HubSpot answers those 400).
      const bodies = capped.requestsTo('/crm/v3/objects/companies/search').map((r) => JSON.parse(r.body) as { after?: string });
      expect(bodies.every((b) => Number(b.after ?? 0) < 20)).toBe(true);
      expect(capped.requestsTo('/crm/v3/objects/companies/search').every((r) => r.status === 200)).toBe(true);
      expect(bodies.length).toBeGreaterThan(3);
    } finally {
      await capped.close();
    }
  });

  it('warns when more records than the cap share one millisecond (the window cannot split), reading the first ones', async () => {
    const capped = await startHubSpotStandIn({ counts: { tickets: 0 }, searchCap: 4 });
    try {
      const at = new Date(Date.now() - 60_000).toISOString();
      for (let i = 0; i < 6; i++) {
        const record = capped.create('tickets', { subject: `t${i}` });
        Object.assign(record, { updatedAt: at });
        record.properties['hs_lastmodifieddate'] = at;
      }
      const config = configFor(capped);
      const { logger, lines } = capturingLogger();
      const ctx = { logger, signal: new AbortController().signal };
      const catalog = await new HubSpotSource({ config }).discover();
      for (const stream of catalog.streams) setMetadata(stream, [], { selected: stream.stream === 'tickets' });
      const out: RecordData[] = [];
      for await (const m of readKit(
        hubspotStreams(connect(config, ctx), config, { searchCap: 4 }),
        catalog,
        emptyState(),
        ctx,
      ) as AsyncIterable<SourceMessage>)
        if (m.type === 'RECORD_BATCH') out.push(...m.records);
      expect(out.length).toBe(4);
      expect(lines.join('\n')).toMatch(
        new RegExp(
          `tickets: 6 records were last modified in the same millisecond \\(${at.replace(/[.]/g, '\\.')}\\); the search API returns only the first 4 of them`,
        ),
      );
    } finally {
      await capped.close();
    }
  });

  it('reads owners, deal and ticket pipelines, and associations', async () => {
    const { records } = await readStreams(configFor(hubspot), ['owners', 'pipelines', 'associations']);
    expect(ids(records['owners'])).toEqual(['1', '2', '3']);
    expect(records['pipelines']?.map((p) => `${String(p['object_type'])}/${String(p['id'])}`)).toEqual(['deals/default', 'tickets/0']);
    expect((records['pipelines']?.[0]?.['stages'] as unknown[]).length).toBe(3);
    const [contact] = hubspot.live('contacts');
    const [company] = hubspot.live('companies');
    expect(records['associations']).toContainEqual(
      expect.objectContaining({ from_object_type: 'contacts', from_id: contact?.id, to_object_type: 'companies', to_id: company?.id }),
    );
  });

  it('waits out a 429 for its Retry-After, logging the wait, and goes on', async () => {
    hubspot.rateLimitNext('/crm/v3/objects/tickets/search', 1);
    const { logger, lines } = capturingLogger();
    const started = Date.now();
    const { records } = await readStreams(configFor(hubspot), ['tickets'], undefined, logger);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(ids(records['tickets']).sort()).toEqual(ids(hubspot.live('tickets')).sort());
    expect(lines.join('\n')).toMatch(/POST \/crm\/v3\/objects\/tickets\/search: HTTP 429; retry 1\/5 in 1\.0 s \(Retry-After\)/);
  });

  it("a 429 without Retry-After waits out HubSpot's rolling window (X-HubSpot-RateLimit-Interval-Milliseconds)", async () => {
    hubspot.rateLimitNext('/crm/v3/pipelines/deals', undefined, 1, 600);
    const { logger, lines } = capturingLogger();
    const started = Date.now();
    const { records } = await readStreams(configFor(hubspot), ['pipelines'], undefined, logger);
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
    expect(records['pipelines']?.length).toBe(2);
    expect(lines.join('\n')).toMatch(/GET \/crm\/v3\/pipelines\/deals: HTTP 429; retry 1\/5 in 0\.6 s \(rate-limit reset\)/);
  });

  it('retries a 500 and a reset connection with backoff, then succeeds', async () => {
    hubspot.serverErrorNext('/crm/v3/objects/products/search');
    hubspot.fail({ path: '/crm/v3/objects/products/search', reset: true });
    const { logger, lines } = capturingLogger();
    const { records } = await readStreams(configFor(hubspot), ['products'], undefined, logger);
    expect(ids(records['products']).sort()).toEqual(ids(hubspot.live('products')).sort());
    const log = lines.join('\n');
    expect(log).toMatch(/POST \/crm\/v3\/objects\/products\/search: HTTP 500; retry 1\/5 in [\d.]+ s \(backoff\)/);
    expect(log).toMatch(/POST \/crm\/v3\/objects\/products\/search: .*retry 2\/5 in [\d.]+ s \(backoff\)/);
  });

  it("gives up after max_retries with HubSpot's message and correlation id", async () => {
    hubspot.serverErrorNext('/crm/v3/objects/line_items/search', 3);
    const failure = readStreams(configFor(hubspot, { max_retries: 2 }), ['line_items']);
    await expect(failure).rejects.toThrow(
      /stream "line_items": POST \/crm\/v3\/objects\/line_items\/search answered HTTP 500: internal error \(INTERNAL_ERROR\) \(correlation id [0-9a-f-]{36}\)/,
    );
  });

  it('fails at once on a wrong token (401), naming access_token, never printing the token', async () => {
    const bad = 'pat-na1-wrong-secret-token';
    const { logger, lines } = capturingLogger();
    const before = hubspot.requests.length;
    const error = await readStreams(configFor(hubspot, { access_token: bad }), ['contacts'], undefined, logger).then(
      () => undefined,
      (e: unknown) => e as Error & { field?: string; hint?: string; requestId?: string },
    );
    expect(error?.message).toMatch(/HTTP 401: Authentication credentials not found\. \(INVALID_AUTHENTICATION\) \(correlation id /);
    expect(error?.field).toBe('access_token');
    expect(error?.hint).toMatch(/private app token/);
    expect(hubspot.requests.length - before).toBe(1);
    expect(`${error?.message} ${error?.hint} ${lines.join('\n')}`).not.toContain(bad);
  });

  it('403 names the scope the token lacks; discovery leaves that stream out with a warning', async () => {
    const { logger, lines } = capturingLogger();
    const config = configFor(hubspot, { access_token: 'pat-na1-contacts-only' });
    const catalog = await new HubSpotSource({ config, logger }).discover();
    expect(catalog.streams.map((s) => s.stream)).toContain('contacts');
    expect(catalog.streams.map((s) => s.stream)).not.toContain('deals');
    expect(lines.join('\n')).toMatch(/deals left out of the catalog: .*HTTP 403.*MISSING_SCOPES.*crm\.objects\.deals\.read/);
    const error = await readStreams(config, ['owners']).then(
      () => undefined,
      (e: unknown) => e as Error & { field?: string; hint?: string },
    );
    expect(error?.field).toBe('access_token');
    expect(error?.hint).toMatch(/lacks the scope crm\.objects\.owners\.read/);
  });

  it('OAuth: gets an access token from the refresh token and renews it when it expires mid-run', async () => {
    const config = configFor(hubspot, {
      access_token: undefined,
      client_id: 'client-1',
      client_secret: 'secret-1',
      refresh_token: 'refresh-1',
      page_size: 5,
    });
    const { logger, lines } = capturingLogger();
    const tokensBefore = hubspot.requestsTo('/oauth/v1/token').length;
    const source = new HubSpotSource({ config, logger });
    const catalog = await source.discover();
    for (const stream of catalog.streams) setMetadata(stream, [], { selected: stream.stream === 'contacts' });
    const out: RecordData[] = [];
    let pages = 0;
    for await (const m of source.read(catalog) as AsyncIterable<SourceMessage>) {
      if (m.type !== 'RECORD_BATCH') continue;
      out.push(...m.records);
      if (++pages === 2) hubspot.expireTokens();
    }
    expect(new Set(ids(out)).size).toBe(25);
    // One token for discovery, one for the read, and the renewal.
    expect(hubspot.requestsTo('/oauth/v1/token').length - tokensBefore).toBe(3);
    const log = lines.join('\n');
    expect(log).toMatch(/POST \/crm\/v3\/objects\/contacts\/search: HTTP 401; renewing the access token/);
    expect(log).not.toMatch(/secret-1|refresh-1|oauth-[0-9a-f]/);
  });

  it('a refused refresh token names refresh_token', async () => {
    const config = configFor(hubspot, {
      access_token: undefined,
      client_id: 'client-1',
      client_secret: 'secret-1',
      refresh_token: 'revoked',
    });
    await expect(new HubSpotSource({ config }).discover()).rejects.toMatchObject({ code: 'OAUTH_TOKEN_REJECTED', field: 'refresh_token' });
  });

  it('incremental: a second run reads only the records changed since, archived ones as deletes', async () => {
    const first = await readStreams(configFor(hubspot), ['contacts']);
    expect(first.records['contacts']?.length).toBe(25);
    const [a, b, c] = hubspot.live('contacts');
    hubspot.update('contacts', String(a?.id), { email: 'moved@example.com' });
    hubspot.archive('contacts', String(b?.id));
    const created = hubspot.create('contacts', { email: 'new@example.com' });
    const bookmark = String((first.state?.bookmarks['contacts'] as { replication_key_value: string }).replication_key_value);
    // The bookmark is inclusive: records modified in its very millisecond are read again (and upserted).
    const atBookmark = hubspot
      .live('contacts')
      .filter((r) => r.updatedAt === bookmark)
      .map((r) => r.id);
    expect(atBookmark.length).toBeGreaterThan(0);
    const second = await readStreams(configFor(hubspot), ['contacts'], first.state);
    const records = second.records['contacts'] ?? [];
    expect(ids(records).sort()).toEqual([...new Set([a?.id, b?.id, created.id, ...atBookmark].map(String))].sort());
    expect(records.find((r) => r['id'] === a?.id)?.['properties_email']).toBe('moved@example.com');
    expect(records.find((r) => r['id'] === b?.id)?.['_sdc_deleted_at']).toBe(
      hubspot.records.get('contacts')?.find((r) => r.id === b?.id)?.archivedAt,
    );
    expect(records.find((r) => r['id'] === c?.id)).toBeUndefined();
    const search = hubspot.requestsTo('/crm/v3/objects/contacts/search').at(-1);
    const lower = Number(
      (JSON.parse(search?.body ?? '{}') as { filterGroups: { filters: { value: string }[] }[] }).filterGroups[0]?.filters[0]?.value,
    );
    expect(lower).toBe(Date.parse(bookmark));
  });
});
