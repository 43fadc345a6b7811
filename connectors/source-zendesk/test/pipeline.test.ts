import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import duckdb from '@mage-int/destination-duckdb';
import { duckdbScratch, repeatableRun, startZendeskStandIn, type ZendeskStandIn } from '@mage-int/testkit';
import zendeskSource from '../src/index.js';
import { configFor } from './helpers.js';

let zendesk: ZendeskStandIn;
const duck = duckdbScratch('source-zendesk');
beforeAll(async () => {
  zendesk = await startZendeskStandIn({ counts: { tickets: 6 }, commentsPerTicket: 2 });
});
afterAll(async () => {
  await zendesk.close();
  duck.remove();
});

describe('Zendesk into DuckDB', () => {
  it('loads tickets and their comments, then a second run merges an updated ticket and its new comment', async () => {
    const run = repeatableRun({
      id: 'zendesk-duckdb',
      source: { connector: zendeskSource, config: configFor(zendesk) },
      destination: { connector: duckdb, config: { path: duck.path } },
      select: ['tickets', 'ticket_comments'],
    });

    const first = await run();
    expect(first.streams['tickets']?.records).toBe(6);
    expect(first.streams['ticket_comments']?.records).toBe(12);
    expect(await duck.rows('SELECT count(*)::INTEGER AS n FROM ticket_comments')).toEqual([{ n: 12 }]);
    const [ticket] = await duck.rows('SELECT typeof(id) AS id, typeof(updated_at) AS updated FROM tickets LIMIT 1');
    expect(ticket).toEqual({ id: 'BIGINT', updated: 'TIMESTAMP WITH TIME ZONE' });

    const target = zendesk.objects.get('tickets')?.[2];
    zendesk.update('tickets', Number(target?.id), { status: 'solved' });
    zendesk.addComment(Number(target?.id), 'closing');
    const second = await run();
    expect(second.streams['ticket_comments']?.records).toBeLessThanOrEqual(2);
    expect(await duck.rows('SELECT count(*)::INTEGER AS n FROM tickets')).toEqual([{ n: 6 }]);
    expect(await duck.rows(`SELECT status FROM tickets WHERE id = ${String(target?.id)}`)).toEqual([{ status: 'solved' }]);
    expect(await duck.rows('SELECT count(*)::INTEGER AS n FROM ticket_comments')).toEqual([{ n: 13 }]);
  }, 60_000);
});
