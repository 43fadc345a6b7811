import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duckdbRows } from '@mage-int/testkit';
import { assertBuilt, startCli, workDir } from './cli-run.js';
import { json, serve, type TestServer } from './helpers.js';

const TICKETS = 40;
const PER_TICKET = 15;
const at = (minute: number) => new Date(Date.UTC(2024, 0, 1, 0, minute)).toISOString().replace('.000Z', 'Z');

/** Tickets and their comments; each comments page answers after 25 ms, so a run lasts long enough to be killed in the middle. */
async function helpdesk(token: string): Promise<TestServer> {
  return serve(async (req, res, url) => {
    if (req.headers.authorization !== `Bearer ${token}`) return json(res, 401, { error: 'bad token' });
    if (url.pathname === '/tickets') {
      const page = Number(url.searchParams.get('page') ?? 1);
      const ids = Array.from({ length: TICKETS }, (_, i) => i + 1).slice((page - 1) * 10, page * 10);
      return json(res, 200, {
        tickets: ids.map((id) => ({ id, subject: `ticket ${id}`, updated_at: at(id), priority: id % 3 === 0 ? null : 'normal' })),
      });
    }
    const match = /^\/tickets\/(\d+)\/comments$/.exec(url.pathname);
    if (!match) return json(res, 404, {});
    await sleep(25);
    const ticket = Number(match[1]);
    const since = url.searchParams.get('since') ?? '';
    const offset = Number(url.searchParams.get('offset') ?? 0);
    const all = Array.from({ length: PER_TICKET }, (_, i) => ({
      id: ticket * 1000 + i,
      ticket_id: ticket,
      body: `comment ${i}`,
      created_at: at(ticket * 100 + i),
    })).filter((c) => c.created_at >= since);
    json(res, 200, { comments: all.slice(offset, offset + 5) });
  });
}

function pipeline(url: string): string {
  return [
    'source:',
    '  name: rest',
    '  config:',
    '    client:',
    `      base_url: ${url}`,
    '      auth: { type: bearer, token: "${HELPDESK_TOKEN}" }',
    '    resource_defaults: { primary_key: id }',
    '    resources:',
    '      - name: tickets',
    '        endpoint: { data_selector: tickets, paginator: { type: page_number, page_size: 10 } }',
    '      - name: comments',
    '        include_from_parent: [subject]',
    '        endpoint:',
    '          path: "tickets/{resources.tickets.id}/comments"',
    '          data_selector: $.comments[*]',
    '          paginator: { type: offset, limit: 5 }',
    '          incremental: { cursor_path: created_at, start_param: since }',
    'destination:',
    '  name: duckdb',
    '  config: { path: helpdesk.duckdb, batch_size_rows: 50 }',
    '',
  ].join('\n');
}

describe('mage-int with a REST manifest', () => {
  const TOKEN = 'tok-9f8e7d6c5b4a';
  const work = workDir('rest-cli');
  const file = join(work.dir, 'helpdesk.yaml');
  const db = join(work.dir, 'helpdesk.duckdb');
  const stateFile = join(work.dir, '.mage-int', 'state', 'helpdesk.json');
  let server: TestServer;

  beforeAll(() => assertBuilt());
  afterAll(() => work.remove());

  it('discover shows the streams with schemas inferred from sampled records (types widened, parent fields included)', async () => {
    server = await helpdesk(TOKEN);
    writeFileSync(file, pipeline(server.url));
    const { done } = startCli(['discover', file, '--json', '--log-level', 'debug'], work.dir, { HELPDESK_TOKEN: TOKEN });
    const result = await done;
    expect(result.code, result.stderr).toBe(0);
    const catalog = JSON.parse(result.stdout) as {
      streams: { stream: string; schema: { properties: Record<string, unknown> }; replication_key?: string }[];
    };
    const tickets = catalog.streams.find((s) => s.stream === 'tickets');
    expect(tickets?.schema.properties['priority']).toEqual({ type: ['null', 'string'] });
    expect(tickets?.schema.properties['updated_at']).toEqual({ type: ['null', 'string'], format: 'date-time' });
    const comments = catalog.streams.find((s) => s.stream === 'comments');
    expect(comments?.replication_key).toBe('created_at');
    expect(comments?.schema.properties['_tickets_subject']).toEqual({ type: ['null', 'string'] });
    // The token came from ${HELPDESK_TOKEN}: never printed, not even at debug level.
    expect(result.stderr + result.stdout).not.toContain(TOKEN);
  });

  it('parent/child state survives SIGKILL: the resumed run loses and duplicates no child record, and a third run reads nothing new', async () => {
    server = await helpdesk(TOKEN);
    writeFileSync(file, pipeline(server.url));
    const first = startCli(['run', file, '--progress', 'none', '--log-level', 'warn'], work.dir, { HELPDESK_TOKEN: TOKEN });
    let killed = false;
    let partitionsAtKill: Record<string, { replication_key_value?: string }> = {};
    for (let i = 0; i < 3000 && !killed; i++) {
      await sleep(5);
      let state: { bookmarks?: Record<string, { partitions?: Record<string, { replication_key_value?: string }> }> } | undefined;
      try {
        state = JSON.parse(readFileSync(stateFile, 'utf8')) as typeof state;
      } catch {
        continue;
      }
      const partitions = state?.bookmarks?.['comments']?.partitions ?? {};
      const done = Object.values(partitions).filter((p) => p.replication_key_value !== undefined);
      if (done.length >= 8) {
        first.child.kill('SIGKILL');
        killed = true;
        partitionsAtKill = partitions;
      }
    }
    const killedRun = await first.done;
    expect(killedRun.signal, killedRun.stderr).toBe('SIGKILL');
    const finished = Object.entries(partitionsAtKill).filter(([, p]) => p.replication_key_value !== undefined);
    expect(finished.length).toBeGreaterThanOrEqual(8);
    expect(finished.length).toBeLessThan(TICKETS);
    // Every partition the saved state calls done is in DuckDB in full: the state never ran ahead of the data.
    for (const [key, bookmark] of finished) {
      const ticket = Number(key.split('=')[1]);
      const [row] = await duckdbRows(db, `SELECT count(*) AS n, max(created_at) AS last FROM comments WHERE ticket_id = ${ticket}`);
      expect(Number(row?.['n']), `ticket ${ticket}`).toBe(PER_TICKET);
      expect(new Date(String(row?.['last'])).toISOString().replace('.000Z', 'Z')).toBe(bookmark.replication_key_value);
    }

    const resumed = await startCli(['run', file, '--progress', 'none', '--log-level', 'warn'], work.dir, { HELPDESK_TOKEN: TOKEN }).done;
    expect(resumed.code, resumed.stderr).toBe(0);
    const [counts] = await duckdbRows(
      db,
      'SELECT count(*)::INTEGER AS n, count(DISTINCT id)::INTEGER AS ids, count(DISTINCT ticket_id)::INTEGER AS tickets FROM comments',
    );
    expect(counts).toEqual({ n: TICKETS * PER_TICKET, ids: TICKETS * PER_TICKET, tickets: TICKETS });
    const [subject] = await duckdbRows(db, 'SELECT _tickets_subject AS s FROM comments WHERE ticket_id = 7 LIMIT 1');
    expect(subject?.['s']).toBe('ticket 7');

    // Every partition now starts at its own bookmark: each asks with `since` and gets back only its last comment.
    server.requests.length = 0;
    const third = await startCli(['run', file, '--progress', 'none', '--log-level', 'warn'], work.dir, { HELPDESK_TOKEN: TOKEN }).done;
    expect(third.code, third.stderr).toBe(0);
    const childRequests = server.requests.filter((r) => r.url.pathname.endsWith('/comments'));
    expect(childRequests.filter((r) => r.url.searchParams.get('since') !== null).length).toBeGreaterThanOrEqual(TICKETS);
    const [after] = await duckdbRows(db, 'SELECT count(*) AS n FROM comments');
    expect(Number(after?.['n'])).toBe(TICKETS * PER_TICKET);
  });
});
