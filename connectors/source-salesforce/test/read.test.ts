import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSalesforceStandIn, type SalesforceStandIn } from '@mage-int/testkit';
import { SalesforceSource } from '../src/index.js';
import { capturingLogger, configFor, ids, readStreams } from './helpers.js';

const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const privateKey = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

let salesforce: SalesforceStandIn;
beforeAll(async () => {
  salesforce = await startSalesforceStandIn({
    counts: { Account: 5, Contact: 7 },
    queryBatchSize: 2,
    bulkPageSize: 2,
    jwtPublicKey: keys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  });
});
afterAll(() => salesforce.close());

const queries = (from: number) => salesforce.requests.slice(from).filter((r) => /\/(query|queryAll)(\/|$)/.test(r.path) && !r.fault);

describe('reading Salesforce through jsforce', () => {
  it('discovers sObjects from describeGlobal and describe: custom objects and fields, Salesforce types mapped', async () => {
    const { logger, lines } = capturingLogger();
    const catalog = await new SalesforceSource({ config: configFor(salesforce), logger }).discover();
    expect(catalog.streams.map((s) => s.stream)).toEqual(['Account', 'CaseStatus', 'Contact', 'Invoice__c', 'Opportunity']);
    expect(lines.join('\n')).toMatch(/left out, not queryable through the API: AccountUserTerritory2View, FlowVariableView/);
    const invoice = catalog.streams.find((s) => s.stream === 'Invoice__c');
    const columns = invoice?.schema.properties ?? {};
    expect(columns['Total__c']).toEqual({ type: ['null', 'number'], 'x-decimal': true, multipleOf: 0.01, 'x-precision': 18 });
    expect(columns['Tax_Rate__c']).toMatchObject({ 'x-decimal': true, multipleOf: 0.001 });
    expect(columns['Due__c']).toEqual({ type: ['null', 'string'], format: 'date' });
    expect(columns['SystemModstamp']).toEqual({ type: ['null', 'string'], format: 'date-time' });
    expect(columns['Site__c']).toEqual({ type: ['null', 'object'] });
    expect(columns['Paid__c']).toEqual({ type: ['null', 'boolean'] });
    expect(columns['_sdc_deleted_at']).toBeDefined();
    expect(catalog.streams.find((s) => s.stream === 'Account')?.schema.properties?.['BillingAddress']).toEqual({
      type: ['null', 'object'],
    });
    const only = await new SalesforceSource({ config: configFor(salesforce, { objects: ['Invoice__c'] }) }).discover();
    expect(only.streams.map((s) => s.stream)).toEqual(['Invoice__c']);
  });

  it('follows nextRecordsUrl to the end (REST queryAll), compound fields as JSON, values typed', async () => {
    const before = salesforce.requests.length;
    const { records } = await readStreams(configFor(salesforce), ['Contact', 'Account']);
    expect(ids(records['Contact']).sort()).toEqual(ids(salesforce.live('Contact')).sort());
    const pages = queries(before).filter((r) => r.path.includes('queryAll'));
    // COUNT() and 4 pages of 2 for Contact (7), COUNT() and 3 pages for Account (5).
    expect(pages.length).toBe(2 + 4 + 3);
    const soql = pages.map((r) => r.query.get('q')).filter((q): q is string => q !== null && !q.includes('COUNT()'));
    expect(soql.find((q) => q.includes('FROM Contact'))).toMatch(/^SELECT .*\bId\b.* FROM Contact ORDER BY SystemModstamp ASC$/);
    const account = records['Account']?.[0];
    expect(account?.['BillingAddress']).toMatchObject({ city: expect.any(String), latitude: 37.7749 });
    expect(account?.['SystemModstamp']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  });

  it('uses Bulk API 2.0 above bulk_threshold (CSV pages by Sforce-Locator), REST for objects Bulk refuses', async () => {
    const before = salesforce.requests.length;
    const { logger, lines } = capturingLogger();
    const { records } = await readStreams(configFor(salesforce, { bulk_threshold: 2 }), ['Account', 'CaseStatus'], undefined, logger);
    expect(ids(records['Account']).sort()).toEqual(ids(salesforce.live('Account')).sort());
    const results = salesforce.requests.slice(before).filter((r) => /\/jobs\/query\/\w+\/results$/.test(r.path));
    expect(results.map((r) => r.query.get('locator'))).toEqual([null, '2', '4']);
    const account = records['Account']?.find((r) => r['Id'] === salesforce.live('Account')[1]?.Id);
    // CSV text typed by the schema: numbers, booleans, datetimes.
    expect(account).toMatchObject({ AnnualRevenue: 2000, NumberOfEmployees: 20, IsDeleted: false });
    expect(account).not.toHaveProperty('BillingAddress');
    expect(ids(records['CaseStatus']).sort()).toEqual(ids(salesforce.live('CaseStatus')).sort());
    expect(lines.join('\n')).toMatch(/CaseStatus: Bulk API 2\.0 refused the object .*; reading it by REST query/);
  });

  it('incremental: a second run reads only rows changed since, deleted ones (queryAll) as deletes', async () => {
    const first = await readStreams(configFor(salesforce), ['Invoice__c']);
    const bookmark = String((first.state?.bookmarks['Invoice__c'] as { replication_key_value: string }).replication_key_value);
    const [a, b, c] = salesforce.live('Invoice__c');
    salesforce.update('Invoice__c', String(a?.Id), { Total__c: 99.99 });
    salesforce.remove('Invoice__c', String(b?.Id));
    const created = salesforce.create('Invoice__c', { Name: 'new' });
    const before = salesforce.requests.length;
    const second = await readStreams(configFor(salesforce), ['Invoice__c'], first.state);
    const soql = queries(before)
      .map((r) => r.query.get('q'))
      .find((q) => q?.startsWith('SELECT Id'));
    expect(soql).toContain(`FROM Invoice__c WHERE SystemModstamp >= ${bookmark.slice(0, 19)}Z ORDER BY SystemModstamp ASC`);
    const records = second.records['Invoice__c'] ?? [];
    // The bookmark is inclusive, to the second: rows of its second are read again.
    const second0 = Math.floor(Date.parse(bookmark) / 1000) * 1000;
    const atBookmark =
      first.records['Invoice__c']?.filter((r) => Date.parse(String(r['SystemModstamp'])) >= second0).map((r) => String(r['Id'])) ?? [];
    expect(ids(records).sort()).toEqual([...new Set([a?.Id, b?.Id, created.Id, ...atBookmark].map(String))].sort());
    expect(records.find((r) => r['Id'] === a?.Id)?.['Total__c']).toBe(99.99);
    const deleted = records.find((r) => r['Id'] === b?.Id);
    expect(deleted?.['IsDeleted']).toBe(true);
    expect(deleted?.['_sdc_deleted_at']).toBe(deleted?.['SystemModstamp']);
    expect(ids(records)).not.toContain(c?.Id === atBookmark[0] ? 'none' : c?.Id);
  });

  it('reports and skips an object Salesforce will not query, and the sync goes on', async () => {
    salesforce.fail({
      path: /\/queryAll$/,
      times: 2,
      response: {
        status: 400,
        body: [{ message: 'entity type Opportunity does not support query', errorCode: 'INVALID_TYPE_FOR_OPERATION' }],
      },
    });
    const { logger, lines } = capturingLogger();
    const { records, state } = await readStreams(configFor(salesforce), ['Opportunity'], undefined, logger);
    expect(records['Opportunity']).toBeUndefined();
    expect(state?.currently_syncing ?? null).toBeNull();
    expect(lines.join('\n')).toMatch(
      /Opportunity: skipped, Salesforce cannot query it: .*does not support query \(INVALID_TYPE_FOR_OPERATION\)/,
    );
  });

  it('waits out a 429 for its Retry-After and retries a 500, logging the waits', async () => {
    salesforce.fail({
      path: /\/queryAll$/,
      response: {
        status: 429,
        headers: { 'retry-after': '1' },
        body: [{ message: 'Too many requests', errorCode: 'REQUEST_LIMIT_EXCEEDED' }],
      },
    });
    salesforce.fail({
      path: /\/queryAll\//,
      response: { status: 500, body: [{ message: 'An unexpected error occurred.', errorCode: 'UNKNOWN_EXCEPTION' }] },
    });
    const { logger, lines } = capturingLogger();
    const started = Date.now();
    const { records } = await readStreams(configFor(salesforce), ['Contact'], undefined, logger);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(ids(records['Contact']).sort()).toEqual(ids(salesforce.live('Contact')).sort());
    const log = lines.join('\n');
    expect(log).toMatch(/GET \/services\/data\/v62\.0\/queryAll: HTTP 429; retry 1\/5 in 1\.0 s \(Retry-After\)/);
    expect(log).toMatch(/GET \/services\/data\/v62\.0\/queryAll\/\S+: HTTP 500; retry 1\/5 in [\d.]+ s \(backoff\)/);
  });

  it('warns once when Sforce-Limit-Info says the org is past 90% of its daily API requests', async () => {
    const busy = await startSalesforceStandIn({ apiUsage: '14000/15000' });
    try {
      const { logger, lines } = capturingLogger();
      await readStreams(configFor(busy), ['Account'], undefined, logger);
      // Once per connection: one for the discovery, one for the read, not one per request.
      expect(lines.filter((l) => l.includes('API requests of the last 24 hours'))).toHaveLength(2);
      expect(lines.join('\n')).toMatch(/the org has used 14000 of its 15000 API requests of the last 24 hours \(93%\)/);
    } finally {
      await busy.close();
    }
  });

  it("a 403 names the credential and the permission, with Salesforce's message and error code", async () => {
    salesforce.fail({
      path: /\/queryAll$/,
      times: 1,
      response: {
        status: 403,
        body: [{ message: 'The REST API is not enabled for this Organization.', errorCode: 'API_DISABLED_FOR_ORG' }],
      },
    });
    const error = await readStreams(configFor(salesforce, { bulk_threshold: 1_000_000 }), ['Opportunity']).then(
      () => undefined,
      (e: unknown) => e as Error & { field?: string; hint?: string },
    );
    expect(error?.message).toMatch(
      /stream "Opportunity".*answered HTTP 403: The REST API is not enabled for this Organization\. \(API_DISABLED_FOR_ORG\)/,
    );
    expect(error?.field).toBe('password');
    expect(error?.hint).toMatch(/API Enabled/);
  });

  it('OAuth refresh token: logs in from it and renews an expired session mid-run', async () => {
    const config = configFor(salesforce, {
      username: undefined,
      password: undefined,
      security_token: undefined,
      refresh_token: salesforce.refreshToken,
    });
    const { logger, lines } = capturingLogger();
    const source = new SalesforceSource({ config, logger });
    const catalog = await source.discover();
    for (const stream of catalog.streams)
      stream.metadata.find((m) => m.breadcrumb.length === 0)!.metadata['selected'] = stream.stream === 'Contact';
    const tokensBefore = salesforce.requestsTo('/services/oauth2/token').length;
    const seen: string[] = [];
    let pages = 0;
    for await (const m of source.read(catalog)) {
      if (m.type !== 'RECORD_BATCH') continue;
      seen.push(...ids(m.records));
      if (++pages === 1) salesforce.expireSessions();
    }
    expect(seen.sort()).toEqual(ids(salesforce.live('Contact')).sort());
    // One login for the read, one renewal after INVALID_SESSION_ID.
    expect(salesforce.requestsTo('/services/oauth2/token').length - tokensBefore).toBe(2);
    expect(lines.join('\n')).not.toContain(salesforce.refreshToken);
  });

  it('JWT bearer: signs an assertion with private_key; a wrong key fails naming private_key', async () => {
    const config = {
      base_url: salesforce.url,
      client_id: salesforce.clientId,
      username: salesforce.username,
      private_key: privateKey,
      max_requests_per_second: 1000,
    };
    const { records } = await readStreams(config, ['Opportunity']);
    expect(ids(records['Opportunity']).sort()).toEqual(ids(salesforce.live('Opportunity')).sort());
    // An expired session signs a new assertion (JWT has no refresh token), mid-pagination.
    const source = new SalesforceSource({ config });
    const catalog = await source.discover();
    for (const stream of catalog.streams)
      stream.metadata.find((m) => m.breadcrumb.length === 0)!.metadata['selected'] = stream.stream === 'Contact';
    const tokensBefore = salesforce.requestsTo('/services/oauth2/token').length;
    const seen: string[] = [];
    for await (const m of source.read(catalog)) {
      if (m.type !== 'RECORD_BATCH') continue;
      if (seen.length === 0) salesforce.expireSessions();
      seen.push(...ids(m.records));
    }
    expect(seen.sort()).toEqual(ids(salesforce.live('Contact')).sort());
    expect(salesforce.requestsTo('/services/oauth2/token').length - tokensBefore).toBe(2);
    const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await expect(new SalesforceSource({ config: { ...config, private_key: other } }).discover()).rejects.toMatchObject({
      code: 'SALESFORCE_LOGIN_FAILED',
      field: 'private_key',
    });
  });

  it('username-password: SOAP login() without a connected app; a wrong password fails naming password, never printed', async () => {
    const soap = configFor(salesforce, { client_id: undefined, client_secret: undefined });
    const { records } = await readStreams(soap, ['CaseStatus']);
    expect(ids(records['CaseStatus']).length).toBe(3);
    const { logger, lines } = capturingLogger();
    const error = await new SalesforceSource({ config: configFor(salesforce, { password: 'wrong-secret-pass' }), logger }).discover().then(
      () => undefined,
      (e: unknown) => e as Error & { field?: string; code?: string; hint?: string },
    );
    expect(error).toMatchObject({ code: 'SALESFORCE_LOGIN_FAILED', field: 'password' });
    expect(error?.message).toMatch(/authentication failure/);
    expect(`${error?.message} ${error?.hint} ${lines.join('\n')}`).not.toContain('wrong-secret-pass');
  });
});
