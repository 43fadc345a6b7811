import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startZendeskStandIn, zendeskError, type ZendeskStandIn } from '@mage-int/testkit';
import type { Config } from '../src/index.js';
import { ALL_STREAMS, capturingLogger, configFor, ids, readStreams } from './helpers.js';

let zendesk: ZendeskStandIn;
beforeEach(async () => {
  zendesk = await startZendeskStandIn({
    counts: { tickets: 5, users: 5, organizations: 3, groups: 5, satisfaction_ratings: 3 },
    commentsPerTicket: 3,
  });
});
afterEach(() => zendesk.close());

const objectIds = (collection: string): number[] => (zendesk.objects.get(collection) ?? []).map((o) => o.id);

describe('source-zendesk against the Zendesk stand-in', () => {
  it('reads every stream to its last page: exports to end_of_stream, lists to has_more false, comments per ticket', async () => {
    const { records, state } = await readStreams(configFor(zendesk), ALL_STREAMS);
    expect(ids(records['tickets'])).toEqual(objectIds('tickets'));
    expect(ids(records['users'])).toEqual(objectIds('users'));
    expect(ids(records['organizations'])).toEqual(objectIds('organizations'));
    expect(ids(records['groups'])).toEqual(objectIds('groups'));
    expect(ids(records['ticket_metrics'])).toEqual(objectIds('ticket_metrics'));
    expect(ids(records['satisfaction_ratings'])).toEqual(objectIds('satisfaction_ratings'));
    expect(records['ticket_comments']).toHaveLength(15);
    const firstTicket = objectIds('tickets')[0];
    expect(records['ticket_comments']?.[0]).toMatchObject({ ticket_id: firstTicket, type: 'Comment' });
    // groups (5) in pages of 2: one page sampled at discovery, then three pages, the last one with has_more false.
    expect(zendesk.requestsTo('/api/v2/groups.json')).toHaveLength(4);
    expect(zendesk.requestsTo('/api/v2/groups.json').filter((r) => r.query.has('page[after]'))).toHaveLength(2);
    // The ticket export starts at start_date as epoch seconds, then follows after_url's cursor.
    const exports = zendesk.requestsTo('/api/v2/incremental/tickets/cursor.json');
    expect(exports[0]?.query.get('start_time')).toBe('0');
    expect(exports[0]?.query.get('per_page')).toBe('1000');
    expect(exports[0]?.headers.authorization).toBe(`Basic ${Buffer.from(`${zendesk.email}/token:${zendesk.apiToken}`).toString('base64')}`);
    expect(state?.bookmarks['tickets']?.replication_key).toBe('updated_at');
    expect(Object.keys((state?.bookmarks['ticket_comments'] as { partitions?: object } | undefined)?.partitions ?? {})).toHaveLength(5);
  });

  it('pages the ticket export by after_url cursor when a page holds fewer than all changes', async () => {
    for (let i = 0; i < 1200; i++) zendesk.add('tickets', { subject: `bulk ${i}`, status: 'new' });
    const { records } = await readStreams(configFor(zendesk), ['tickets']);
    expect(records['tickets']).toHaveLength(1205);
    const exports = zendesk.requestsTo('/api/v2/incremental/tickets/cursor.json');
    // Discovery samples the first page (for tickets and for their comments); the read follows one after_url.
    expect(exports.filter((r) => r.query.has('cursor'))).toHaveLength(1);
    expect(exports.at(-1)?.query.get('cursor')).toBeTruthy();
  });

  it('waits out a 429 with Retry-After, and retries a 500, then reads on', async () => {
    zendesk.fail({
      path: '/api/v2/groups.json',
      response: zendeskError(429, 'TooManyRequests', 'Rate limit exceeded', { 'retry-after': '1' }),
    });
    zendesk.fail({ path: '/api/v2/incremental/users/cursor.json', response: zendeskError(500, 'InternalError') });
    const { logger, lines } = capturingLogger();
    const started = Date.now();
    const { records } = await readStreams(configFor(zendesk), ['groups', 'users'], undefined, logger);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(ids(records['groups'])).toEqual(objectIds('groups'));
    expect(ids(records['users'])).toEqual(objectIds('users'));
    expect(zendesk.requestsTo('/api/v2/groups.json').filter((r) => r.status === 429)).toHaveLength(1);
    expect(zendesk.requestsTo('/api/v2/incremental/users/cursor.json').filter((r) => r.status === 500)).toHaveLength(1);
    expect(lines.join('\n')).toMatch(/429/);
  });

  it('fails on 401 naming the credential settings, without printing the token', async () => {
    const error = await readStreams(configFor(zendesk, { api_token: 'revoked-token' }), ['groups']).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(/401/);
    expect(error?.message).toMatch(/`email` and `api_token`/);
    expect(error?.message).not.toContain('revoked-token');
    const oauth = await readStreams(configFor(zendesk, { api_token: undefined, email: undefined, access_token: 'expired' }), [
      'groups',
    ]).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(oauth?.message).toMatch(/`access_token`/);
  });

  it('authenticates with an OAuth access token as a bearer', async () => {
    const { records } = await readStreams(
      configFor(zendesk, { email: undefined, api_token: undefined, access_token: zendesk.accessToken }),
      ['groups'],
    );
    expect(ids(records['groups'])).toEqual(objectIds('groups'));
    expect(zendesk.requestsTo('/api/v2/groups.json')[0]?.headers.authorization).toBe(`Bearer ${zendesk.accessToken}`);
  });

  it('refuses a config without credentials or subdomain before any request', async () => {
    await expect(readStreams({ base_url: zendesk.url }, ['groups'])).rejects.toThrow(/api_token/);
    await expect(readStreams({ email: 'a@b.c', api_token: 't' }, ['groups'])).rejects.toThrow(/subdomain/);
    expect(zendesk.requests).toHaveLength(0);
  });

  it('a second run reads only what changed: exports from the bookmark, comments only of updated tickets', async () => {
    const config = configFor(zendesk);
    const streams = ['tickets', 'users', 'organizations', 'ticket_comments', 'satisfaction_ratings'];
    const first = await readStreams(config, streams);
    expect(first.records['ticket_comments']).toHaveLength(15);

    const [ticket] = zendesk.objects.get('tickets') ?? [];
    const comment = zendesk.addComment(Number(ticket?.id), 'a late reply');
    const org = zendesk.update('organizations', objectIds('organizations')[0] as number, { name: 'Renamed' });
    const user = zendesk.add('users', { name: 'New user', email: 'new@example.com', role: 'end-user', active: true });
    zendesk.requests.length = 0;

    const second = await readStreams(config, streams, first.state);
    // The last object of the first run is read again (start_time is inclusive); merge by id dedupes it.
    expect(ids(second.records['tickets'])).toContain(ticket?.id);
    expect(ids(second.records['tickets']).length).toBeLessThanOrEqual(2);
    expect(ids(second.records['users'])).toContain(user.id);
    expect(ids(second.records['users']).length).toBeLessThanOrEqual(2);
    expect(second.records['organizations']?.find((o) => o['id'] === org.id)).toMatchObject({ name: 'Renamed' });
    // The new comment; the ticket's previous last comment may come again (its bookmark is inclusive) and merges.
    expect(ids(second.records['ticket_comments'])).toContain(comment.id);
    expect(ids(second.records['ticket_comments']).length).toBeLessThanOrEqual(2);
    // Besides the one page discovery samples, only the updated ticket's comments (two pages) were asked for.
    expect([
      ...new Set(
        zendesk
          .requestsTo(/\/comments\.json$/)
          .slice(1)
          .map((r) => r.path),
      ),
    ]).toEqual([`/api/v2/tickets/${String(ticket?.id)}/comments.json`]);
    // The read (after discovery's sample from start_date) asks the export from the first run's bookmark.
    const bookmark = String(first.state?.bookmarks['tickets']?.replication_key_value);
    const starts = zendesk.requestsTo('/api/v2/incremental/tickets/cursor.json').map((r) => r.query.get('start_time'));
    expect(starts).toContain(String(Date.parse(bookmark) / 1000));
  });

  it('skips the comments of a deleted ticket (404) and reads the others', async () => {
    const [first] = zendesk.objects.get('tickets') ?? [];
    zendesk.update('tickets', Number(first?.id), { status: 'deleted' });
    const { records } = await readStreams(configFor(zendesk), ['tickets', 'ticket_comments']);
    expect(records['tickets']).toHaveLength(5);
    expect(records['ticket_comments']).toHaveLength(12);
  });

  it("Mage's request_timeout (seconds) bounds each request: a slower answer fails once retries are spent, a quicker one is read", async () => {
    zendesk.fail({ path: '/api/v2/groups.json', delayMs: 1500, times: 100 });
    // As Mage writes it: request_timeout in seconds (mage-int's request_timeout_seconds).
    const mage = (request_timeout: number) => configFor(zendesk, { request_timeout, max_retries: 0 } as Partial<Config>);
    await expect(readStreams(mage(0.5), ['groups'])).rejects.toThrow(/no answer within 500 ms/);
    const { records } = await readStreams(mage(5), ['groups']);
    expect(ids(records['groups'])).toEqual(objectIds('groups'));
  });
});
