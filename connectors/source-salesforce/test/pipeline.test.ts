import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import duckdb from '@mage-int/destination-duckdb';
import { duckdbScratch, repeatableRun, startSalesforceStandIn, type SalesforceStandIn } from '@mage-int/testkit';
import salesforceSource from '../src/index.js';
import { configFor } from './helpers.js';

let salesforce: SalesforceStandIn;
const duck = duckdbScratch('source-salesforce');
beforeAll(async () => {
  salesforce = await startSalesforceStandIn({ counts: { Account: 12, Invoice__c: 5 }, queryBatchSize: 5 });
});
afterAll(async () => {
  await salesforce.close();
  duck.remove();
});

describe('Salesforce into DuckDB', () => {
  it('loads Accounts and a custom object with decimal currency columns, then a second run applies an update and a delete', async () => {
    const run = repeatableRun({
      id: 'salesforce-duckdb',
      source: { connector: salesforceSource, config: configFor(salesforce) },
      destination: { connector: duckdb, config: { path: duck.path, hard_delete: true } },
      select: ['Account', 'Invoice__c'],
    });

    const first = await run();
    expect(first.streams['Account']?.records).toBe(12);
    expect(await duck.rows('SELECT count(*)::INTEGER AS n FROM invoice__c')).toEqual([{ n: 5 }]);
    const [invoice] = await duck.rows(
      'SELECT typeof(total__c) AS total, typeof(due__c) AS due, typeof(paid__c) AS paid FROM invoice__c LIMIT 1',
    );
    expect(invoice).toEqual({ total: 'DECIMAL(18,2)', due: 'DATE', paid: 'BOOLEAN' });

    const [a, b] = salesforce.live('Account');
    salesforce.update('Account', String(a?.Id), { Name: 'Renamed' });
    salesforce.remove('Account', String(b?.Id));
    const second = await run();
    expect(second.streams['Account']?.records).toBeGreaterThanOrEqual(2);
    expect(second.streams['Account']?.records).toBeLessThanOrEqual(4);
    expect(await duck.rows('SELECT count(*)::INTEGER AS n FROM account')).toEqual([{ n: 11 }]);
    expect(await duck.rows(`SELECT name FROM account WHERE id = '${String(a?.Id)}'`)).toEqual([{ name: 'Renamed' }]);
  }, 60_000);
});
