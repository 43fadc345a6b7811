import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryStateStore, pipeline, silentLogger } from '@mage-int/core';
import duckdb, { DuckDB } from '@mage-int/destination-duckdb';
import { startZendeskStandIn, type ZendeskStandIn } from '@mage-int/testkit';
import zendeskSource from '../src/index.js';
import { configFor } from './helpers.js';

let zendesk: ZendeskStandIn;
const dir = mkdtempSync(join(tmpdir(), 'source-zendesk-'));
beforeAll(async () => {
  zendesk = await startZendeskStandIn({ counts: { tickets: 6 }, commentsPerTicket: 2 });
});
afterAll(async () => {
  await zendesk.close();
  rmSync(dir, { recursive: true, force: true });
});

async function rows(path: string, sql: string): Promise<Record<string, unknown>[]> {
  const db = new DuckDB({ config: { path } });
  try {
    return await db.query(sql);
  } finally {
    await db.close();
  }
}

describe('Zendesk into DuckDB', () => {
  it('loads tickets and their comments, then a second run merges an updated ticket and its new comment', async () => {
    const path = join(dir, 'zendesk.duckdb');
    const stateStore = new MemoryStateStore();
    const run = () =>
      pipeline({
        id: 'zendesk-duckdb',
        source: { connector: zendeskSource, config: configFor(zendesk) },
        destination: { connector: duckdb, config: { path } },
        select: ['tickets', 'ticket_comments'],
        stateStore,
      }).run({ logger: silentLogger });

    const first = await run();
    expect(first.streams['tickets']?.records).toBe(6);
    expect(first.streams['ticket_comments']?.records).toBe(12);
    expect(await rows(path, 'SELECT count(*)::INTEGER AS n FROM ticket_comments')).toEqual([{ n: 12 }]);
    const [ticket] = await rows(path, 'SELECT typeof(id) AS id, typeof(updated_at) AS updated FROM tickets LIMIT 1');
    expect(ticket).toEqual({ id: 'BIGINT', updated: 'TIMESTAMP WITH TIME ZONE' });

    const target = zendesk.objects.get('tickets')?.[2];
    zendesk.update('tickets', Number(target?.id), { status: 'solved' });
    zendesk.addComment(Number(target?.id), 'closing');
    const second = await run();
    expect(second.streams['ticket_comments']?.records).toBeLessThanOrEqual(2);
    expect(await rows(path, 'SELECT count(*)::INTEGER AS n FROM tickets')).toEqual([{ n: 6 }]);
    expect(await rows(path, `SELECT status FROM tickets WHERE id = ${String(target?.id)}`)).toEqual([{ status: 'solved' }]);
    expect(await rows(path, 'SELECT count(*)::INTEGER AS n FROM ticket_comments')).toEqual([{ n: 13 }]);
  }, 60_000);
});
