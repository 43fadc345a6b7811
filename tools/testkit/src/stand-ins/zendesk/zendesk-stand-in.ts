// A stand-in for the Zendesk Support API, written from Zendesk's developer docs (developer.zendesk.com/api-reference):
// the cursor-based incremental exports (`GET /api/v2/incremental/{tickets,users}/cursor.json`: `start_time` or
// `cursor`, `per_page` up to 1000, answering `after_url`, `after_cursor`, `before_url`, `before_cursor` and
// `end_of_stream`), the time-based organization export (`GET /api/v2/incremental/organizations.json`: `start_time`,
// answering `next_page`, `end_time`, `count`, `end_of_stream`), cursor pagination of lists (`page[size]` up to 100,
// `page[after]`, answering `meta.has_more`, `meta.after_cursor` and `links.next`): groups, ticket metrics, a ticket's
// comments (404 RecordNotFound for a deleted ticket), satisfaction ratings (filtered by `start_time`/`end_time`).
// Auth as Zendesk does it: basic `{email}/token:{api_token}` or an OAuth bearer token; a refused one answers 401
// `{"error": "Couldn't authenticate you"}`. Timestamps are ISO 8601 without fractions, as Zendesk writes them.
import { StandInServer, VendorStandIn, type StandInRequest, type StandInResponse } from '../stand-in-server.js';

/** A Zendesk object as the API returns it (tickets, users, organizations, …). */
export type ZendeskObject = Record<string, unknown> & { id: number; created_at: string; updated_at: string };

export interface ZendeskStandInOptions {
  /** The agent whose API token is accepted; default `agent@example.com`. */
  email?: string;
  /** Default `zd-standin-token`. */
  apiToken?: string;
  /** An OAuth access token also accepted; default `zd-oauth-token`. */
  accessToken?: string;
  /** Objects made per collection: tickets, users, organizations, groups, satisfaction_ratings (default 3). */
  counts?: Partial<Record<'tickets' | 'users' | 'organizations' | 'groups' | 'satisfaction_ratings', number>>;
  /** Comments per ticket (default 2). */
  commentsPerTicket?: number;
}

const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const seconds = (isoTime: string): number => Math.floor(Date.parse(isoTime) / 1000);
// Cursors are opaque to clients; here they hold a position (and, for the exports, the first request's start_time).
const encodeCursor = (...parts: number[]): string => Buffer.from(parts.join('|')).toString('base64url');
const decodeCursor = (cursor: string): number[] => Buffer.from(cursor, 'base64url').toString('utf8').split('|').map(Number);

/** A Zendesk error answer (`{error, description}`). */
export function zendeskError(status: number, error: string, description?: string, headers?: Record<string, string>): StandInResponse {
  return { status, ...(headers ? { headers } : {}), body: { error, ...(description ? { description } : {}) } };
}

/** The running stand-in: its URL and credentials, the objects it serves, and ways to change them between runs. */
export class ZendeskStandIn extends VendorStandIn {
  readonly email: string;
  readonly apiToken: string;
  readonly accessToken: string;
  /** Objects by collection name: tickets, users, organizations, groups, ticket_metrics, satisfaction_ratings. */
  readonly objects = new Map<string, ZendeskObject[]>();
  /** Comments by ticket id. */
  readonly comments = new Map<number, ZendeskObject[]>();
  private sequence = 1000;
  private clock: number;

  private constructor(options: ZendeskStandInOptions) {
    super();
    this.email = options.email ?? 'agent@example.com';
    this.apiToken = options.apiToken ?? 'zd-standin-token';
    this.accessToken = options.accessToken ?? 'zd-oauth-token';
    // Objects were changed a while ago, one second apart, so bookmarks taken now lie behind later changes.
    this.clock = Math.floor(Date.now() / 1000) * 1000 - 86_400_000;
    const counts = { tickets: 3, users: 3, organizations: 3, groups: 3, satisfaction_ratings: 3, ...options.counts };
    for (let i = 0; i < counts.organizations; i++)
      this.add('organizations', { name: `Org ${i + 1}`, domain_names: [`org${i + 1}.example.com`], tags: [] });
    for (let i = 0; i < counts.groups; i++) this.add('groups', { name: `Group ${i + 1}`, deleted: false, default: i === 0 });
    for (let i = 0; i < counts.users; i++)
      this.add('users', { name: `User ${i + 1}`, email: `user${i + 1}@example.com`, role: i === 0 ? 'admin' : 'end-user', active: true });
    for (let i = 0; i < counts.tickets; i++) this.addTicket({ subject: `Ticket ${i + 1}` }, options.commentsPerTicket ?? 2);
    const tickets = this.objects.get('tickets') ?? [];
    for (let i = 0; i < counts.satisfaction_ratings; i++)
      this.add('satisfaction_ratings', {
        score: i % 2 === 0 ? 'good' : 'bad',
        ticket_id: tickets[i % Math.max(tickets.length, 1)]?.id ?? null,
        comment: null,
      });
  }

  static async start(options: ZendeskStandInOptions = {}): Promise<ZendeskStandIn> {
    const standIn = new ZendeskStandIn(options);
    standIn.server = await StandInServer.start((request) => standIn.handle(request), {
      headers: (n) => ({ 'x-request-id': `standin-${n}`, 'x-zendesk-api-version': 'v2' }),
    });
    return standIn;
  }

  /** Adds an object to a collection, created and updated now (the stand-in's clock). */
  add(collection: string, fields: Record<string, unknown>): ZendeskObject {
    const at = this.tick();
    const object: ZendeskObject = { id: ++this.sequence, ...fields, created_at: at, updated_at: at };
    const list = this.objects.get(collection) ?? [];
    list.push(object);
    this.objects.set(collection, list);
    return object;
  }

  /** Adds a ticket with its metric set and `comments` comments. */
  addTicket(fields: Record<string, unknown>, comments = 1): ZendeskObject {
    const ticket = this.add('tickets', { status: 'open', priority: 'normal', tags: [], custom_fields: [], ...fields });
    this.add('ticket_metrics', {
      ticket_id: ticket.id,
      reopens: 0,
      replies: comments,
      reply_time_in_minutes: { calendar: 12, business: 10 },
    });
    for (let i = 0; i < comments; i++) this.addComment(ticket.id, `Comment ${i + 1} on ${ticket.id}`);
    return ticket;
  }

  /** Adds a comment to a ticket (the ticket's updated_at moves, as in Zendesk). */
  addComment(ticketId: number, body: string): ZendeskObject {
    const at = this.tick();
    const comment: ZendeskObject = {
      id: ++this.sequence,
      type: 'Comment',
      body,
      public: true,
      author_id: 1,
      attachments: [],
      created_at: at,
      updated_at: at,
    };
    const list = this.comments.get(ticketId) ?? [];
    list.push(comment);
    this.comments.set(ticketId, list);
    const ticket = this.objects.get('tickets')?.find((t) => t.id === ticketId);
    if (ticket) ticket.updated_at = at;
    return comment;
  }

  /** Changes an object; its updated_at moves to now. */
  update(collection: string, id: number, fields: Record<string, unknown>): ZendeskObject {
    const object = this.objects.get(collection)?.find((o) => o.id === id);
    if (!object) throw new Error(`the Zendesk stand-in has no ${collection} ${id}`);
    Object.assign(object, fields, { updated_at: this.tick() });
    return object;
  }

  private tick(): string {
    this.clock += 1000;
    return iso(this.clock);
  }

  private authorized(request: StandInRequest): boolean {
    const header = request.headers.authorization ?? '';
    if (header === `Bearer ${this.accessToken}`) return true;
    return header === `Basic ${Buffer.from(`${this.email}/token:${this.apiToken}`).toString('base64')}`;
  }

  private handle(request: StandInRequest): StandInResponse {
    if (!this.authorized(request)) return zendeskError(401, "Couldn't authenticate you");
    const path = request.url.pathname.replace(/^\/api\/v2\//, '');
    const query = request.url.searchParams;
    const cursorExport = /^incremental\/(tickets|users)\/cursor\.json$/.exec(path);
    if (cursorExport) return this.cursorExport(cursorExport[1] as string, query);
    if (path === 'incremental/organizations.json') return this.timeExport('organizations', query);
    const comments = /^tickets\/(\d+)\/comments\.json$/.exec(path);
    if (comments) {
      const ticketId = Number(comments[1]);
      const ticket = this.objects.get('tickets')?.find((t) => t.id === ticketId);
      if (!ticket || ticket['status'] === 'deleted') return zendeskError(404, 'RecordNotFound', 'Not found');
      return this.cursorPage('comments', this.comments.get(ticketId) ?? [], path, query);
    }
    const list = /^(groups|ticket_metrics|satisfaction_ratings|organizations|users)\.json$/.exec(path);
    if (list) {
      const name = list[1] as string;
      let all = this.objects.get(name) ?? [];
      if (name === 'satisfaction_ratings') {
        const start = query.get('start_time');
        const end = query.get('end_time');
        all = all.filter(
          (o) => (start === null || seconds(o.updated_at) >= Number(start)) && (end === null || seconds(o.updated_at) < Number(end)),
        );
      }
      return this.cursorPage(name, all, path, query);
    }
    return zendeskError(404, 'InvalidEndpoint', 'Not found');
  }

  /** Objects changed at or after a time, oldest change first (ties by id), as the incremental exports order them. */
  private changedSince(collection: string, startTime: number): ZendeskObject[] {
    return (this.objects.get(collection) ?? [])
      .filter((o) => seconds(o.updated_at) >= startTime)
      .sort((a, b) => a.updated_at.localeCompare(b.updated_at) || a.id - b.id);
  }

  private cursorExport(collection: string, query: URLSearchParams): StandInResponse {
    const cursor = query.get('cursor');
    const startTime = query.get('start_time');
    if (cursor === null && startTime === null) return zendeskError(400, 'InvalidPaginationParameter', 'start_time or cursor is required');
    const perPage = Math.min(Number(query.get('per_page') ?? 1000), 1000);
    // The cursor stands for a position in the change order since the first request's start_time.
    const [from = 0, since = 0] = cursor === null ? [0, Number(startTime)] : decodeCursor(cursor);
    const changed = this.changedSince(collection, since);
    const page = changed.slice(from, from + perPage);
    const next = from + page.length;
    const after = encodeCursor(next, since);
    const before = encodeCursor(from, since);
    return {
      status: 200,
      body: {
        [collection]: page,
        after_url: `${this.url}/api/v2/incremental/${collection}/cursor.json?cursor=${after}${query.has('per_page') ? `&per_page=${perPage}` : ''}`,
        after_cursor: after,
        before_url: from === 0 ? null : `${this.url}/api/v2/incremental/${collection}/cursor.json?cursor=${before}`,
        before_cursor: from === 0 ? null : before,
        end_of_stream: next >= changed.length,
      },
    };
  }

  private timeExport(collection: string, query: URLSearchParams): StandInResponse {
    const startTime = query.get('start_time');
    if (startTime === null) return zendeskError(400, 'InvalidPaginationParameter', 'start_time is required');
    const perPage = Math.min(Number(query.get('per_page') ?? 1000), 1000);
    const page = this.changedSince(collection, Number(startTime)).slice(0, perPage);
    const last = page.at(-1);
    // Zendesk's next start_time is the last object's second, so objects of that second come again (documented).
    const endTime = last ? seconds(last.updated_at) : Number(startTime);
    const endOfStream = page.length < perPage;
    return {
      status: 200,
      body: {
        [collection]: page,
        count: page.length,
        end_time: endTime,
        next_page: `${this.url}/api/v2/incremental/${collection}.json?start_time=${endOfStream ? endTime + 1 : endTime}${query.has('per_page') ? `&per_page=${perPage}` : ''}`,
        end_of_stream: endOfStream,
      },
    };
  }

  private cursorPage(name: string, all: ZendeskObject[], path: string, query: URLSearchParams): StandInResponse {
    const size = Number(query.get('page[size]') ?? 100);
    if (size > 100) return zendeskError(400, 'InvalidPaginationParameter', 'page[size] must be at most 100');
    const after = query.get('page[after]');
    const from = after === null ? 0 : (decodeCursor(after)[0] ?? 0);
    const page = all.slice(from, from + size);
    const more = from + size < all.length;
    const afterCursor = page.length > 0 ? encodeCursor(from + page.length) : null;
    return {
      status: 200,
      body: {
        [name]: page,
        meta: { has_more: more, after_cursor: afterCursor, before_cursor: page.length > 0 ? encodeCursor(from) : null },
        links: { prev: null, next: more ? `${this.url}/api/v2/${path}?page%5Bsize%5D=${size}&page%5Bafter%5D=${afterCursor ?? ''}` : null },
      },
    };
  }
}

/** Starts a Zendesk stand-in on 127.0.0.1 (a random port). */
export function startZendeskStandIn(options: ZendeskStandInOptions = {}): Promise<ZendeskStandIn> {
  return ZendeskStandIn.start(options);
}
