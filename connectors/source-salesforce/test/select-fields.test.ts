// Mage's select_fields_by_default: false against the Salesforce stand-in: discovery leaves fields unselected, and a
// run reads (asks Salesforce for, and loads) only the fields the pipeline or the catalog selects.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getMetadata, setMetadata, type RecordData } from '@mage-int/core';
import duckdb from '@mage-int/destination-duckdb';
import { duckdbScratch, repeatableRun, startSalesforceStandIn, type SalesforceStandIn } from '@mage-int/testkit';
import salesforceSource, { SalesforceSource } from '../src/index.js';
import { configFor } from './helpers.js';

let salesforce: SalesforceStandIn;
const duck = duckdbScratch('source-salesforce-select');
beforeAll(async () => {
  salesforce = await startSalesforceStandIn({ counts: { Account: 6 }, queryBatchSize: 4 });
});
afterAll(async () => {
  await salesforce.close();
  duck.remove();
});

const mage = () => configFor(salesforce, { objects: ['Account'], select_fields_by_default: false, api_type: 'REST' });

/** The fields of the Account queries Salesforce was asked since request `from`, sorted. */
function queriedFields(from: number): string[][] {
  return salesforce.requests
    .slice(from)
    .map((r) => /^SELECT (.+?) FROM Account\b/.exec(r.query.get('q') ?? '')?.[1])
    .filter((fields): fields is string => fields !== undefined && fields !== 'COUNT()')
    .map((fields) => fields.split(', ').sort());
}

describe("Mage's select_fields_by_default: false", () => {
  it("discovery marks every field but Id and the replication key unselected by default, as Mage's tap does", async () => {
    const catalog = await new SalesforceSource({ config: mage() }).discover();
    const account = catalog.streams.find((s) => s.stream === 'Account');
    expect(account).toBeDefined();
    const field = (name: string) => getMetadata(account!, ['properties', name]);
    expect(field('Name')['selected-by-default']).toBe(false);
    expect(field('Website')['selected-by-default']).toBe(false);
    expect(field('Id')['inclusion']).toBe('automatic');
    expect(field('SystemModstamp')['inclusion']).toBe('automatic');
    expect(field('_sdc_deleted_at')['inclusion']).toBe('automatic');
    // true (the default) leaves every field selected by default.
    const all = await new SalesforceSource({ config: configFor(salesforce, { objects: ['Account'] }) }).discover();
    expect(getMetadata(all.streams[0]!, ['properties', 'Name'])['selected-by-default']).toBe(true);
  });

  it("a pipeline run asks for and loads only the stream's picked fields; a delete still deletes", async () => {
    const run = repeatableRun({
      id: 'salesforce-picked-fields',
      source: { connector: salesforceSource, config: mage() },
      destination: { connector: duckdb, config: { path: duck.path, hard_delete: true } },
      streams: { Account: { fields: ['Name', 'AnnualRevenue'] } },
    });
    const before = salesforce.requests.length;
    const first = await run();
    expect(first.streams['Account']?.records).toBe(6);
    expect(queriedFields(before)).toEqual([['AnnualRevenue', 'Id', 'IsDeleted', 'Name', 'SystemModstamp']]);
    const columns = (await duck.rows(`SELECT column_name FROM information_schema.columns WHERE table_name = 'account'`)).map((r) =>
      String(r['column_name']),
    );
    expect(columns.filter((c) => !c.startsWith('_sdc_')).sort()).toEqual(['annualrevenue', 'id', 'name', 'systemmodstamp']);
    const names = await duck.rows('SELECT name FROM account ORDER BY name');
    expect(names.map((r) => r['name']).sort()).toEqual(
      salesforce
        .live('Account')
        .map((a) => a['Name'])
        .sort(),
    );

    const [gone] = salesforce.live('Account');
    salesforce.remove('Account', String(gone?.Id));
    await run();
    expect(await duck.rows('SELECT count(*)::INTEGER AS n FROM account')).toEqual([{ n: 5 }]);
  }, 60_000);

  it('a Singer catalog with a field selected reads that field (and Id, SystemModstamp) only', async () => {
    const source = new SalesforceSource({ config: mage() });
    const catalog = await source.discover();
    const account = catalog.streams.find((s) => s.stream === 'Account')!;
    setMetadata(account, ['properties', 'Website'], { selected: true });
    const before = salesforce.requests.length;
    const records: RecordData[] = [];
    for await (const message of source.read(catalog)) if (message.type === 'RECORD_BATCH') records.push(...message.records);
    expect(records.length).toBeGreaterThan(0);
    expect(queriedFields(before)).toEqual([['Id', 'IsDeleted', 'SystemModstamp', 'Website']]);
    for (const record of records.filter((r) => r['_sdc_deleted_at'] === undefined))
      expect(Object.keys(record).sort()).toEqual(['Id', 'SystemModstamp', 'Website']);
  });

  it('select: [Account] picks every field; a stream with no field picked stops the run before Salesforce is queried', async () => {
    const whole = repeatableRun({
      id: 'salesforce-whole-stream',
      source: { connector: salesforceSource, config: mage() },
      destination: { connector: duckdb, config: { path: duck.path, schema: 'whole' } },
      select: ['Account'],
    });
    const from = salesforce.requests.length;
    await whole();
    expect(queriedFields(from)[0]).toEqual(expect.arrayContaining(['Name', 'Website', 'Description', 'BillingCity']));

    const nothing = repeatableRun({
      id: 'salesforce-nothing-picked',
      source: { connector: salesforceSource, config: mage() },
      destination: { connector: duckdb, config: { path: duck.path, schema: 'nothing' } },
    });
    const before = salesforce.requests.length;
    await expect(nothing()).rejects.toThrow(
      /select_fields_by_default is false and no field of Account is selected \(only Id, SystemModstamp, which are always read\)/,
    );
    expect(queriedFields(before)).toEqual([]);
  });
});
