// A stand-in for the HubSpot API, written from HubSpot's developer docs (developers.hubspot.com/docs/api-reference):
// CRM objects v3 (`GET /crm/v3/objects/{type}` paged by `after`, `archived=true` for archived records with
// `archivedAt`), the CRM search API (`POST /crm/v3/objects/{type}/search`: filterGroups with GTE/GT/LTE/LT/EQ
// filters, sorts, `limit` up to 200, `after`, `total`, and at most 10,000 results per query — paging past them
// answers 400), properties v3 (`GET /crm/v3/properties/{type}`), owners v3, pipelines v3, associations v4 batch
// read, OAuth 2.0 (`POST /oauth/v1/token`, refresh_token grant, `expires_in`), error bodies
// (`{status: 'error', message, correlationId, category}`, MISSING_SCOPES with the scopes needed), the
// `X-HubSpot-Correlation-Id` header and the `X-HubSpot-RateLimit-*` headers. Properties are HubSpot's default
// ones (fixtures/stand-ins/hubspot/properties.json); values travel as strings, as at HubSpot. Read API only.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { StandInServer, VendorStandIn, type StandInRequest, type StandInResponse } from '../stand-in-server.js';

/** A CRM record as the v3 API returns it. */
export interface HubSpotRecord {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
}

/** A property definition (`GET /crm/v3/properties/{type}`). */
export type HubSpotProperty = Record<string, unknown> & { name: string; type: string; fieldType: string };

/** The object types served, with the property their last-modified search works on. */
export const HUBSPOT_OBJECT_TYPES: Readonly<Record<string, { modified: string; scope: string }>> = {
  contacts: { modified: 'lastmodifieddate', scope: 'crm.objects.contacts.read' },
  companies: { modified: 'hs_lastmodifieddate', scope: 'crm.objects.companies.read' },
  deals: { modified: 'hs_lastmodifieddate', scope: 'crm.objects.deals.read' },
  tickets: { modified: 'hs_lastmodifieddate', scope: 'tickets' },
  line_items: { modified: 'hs_lastmodifieddate', scope: 'crm.objects.line_items.read' },
  products: { modified: 'hs_lastmodifieddate', scope: 'e-commerce' },
  calls: { modified: 'hs_lastmodifieddate', scope: 'crm.objects.contacts.read' },
  emails: { modified: 'hs_lastmodifieddate', scope: 'crm.objects.contacts.read' },
  meetings: { modified: 'hs_lastmodifieddate', scope: 'crm.objects.contacts.read' },
  notes: { modified: 'hs_lastmodifieddate', scope: 'crm.objects.contacts.read' },
  tasks: { modified: 'hs_lastmodifieddate', scope: 'crm.objects.contacts.read' },
};

/** The search API's cap: results past this many of one query cannot be paged to. */
export const HUBSPOT_SEARCH_CAP = 10_000;

const FIXTURES = new URL('../../../fixtures/stand-ins/hubspot/properties.json', import.meta.url);

export interface HubSpotStandInOptions {
  /** The private-app token; default `pat-na1-standin`. */
  accessToken?: string;
  /** OAuth app credentials the token endpoint accepts. */
  oauth?: { clientId: string; clientSecret: string; refreshToken: string; expiresIn?: number };
  /** Tokens limited to some scopes (`{token: ['crm.objects.contacts.read']}`); others answer 403 MISSING_SCOPES. */
  scopedTokens?: Record<string, readonly string[]>;
  /** Records made per object type (default 3). */
  counts?: Partial<Record<string, number>>;
  /** Custom properties added to an object type's defaults. */
  customProperties?: Record<string, HubSpotProperty[]>;
  /** The search cap (HubSpot's is 10,000); tests lower it to exercise split windows. */
  searchCap?: number;
}

/** The running stand-in: its URL and token, the records it serves, and ways to change them between runs. */
export class HubSpotStandIn extends VendorStandIn {
  /** Records by object type (archived ones included, flagged). */
  readonly records = new Map<string, HubSpotRecord[]>();
  readonly owners: Record<string, unknown>[] = [];
  /** Associations v4: `contacts>companies` → from id → to ids. */
  readonly associations = new Map<string, Map<string, string[]>>();
  readonly accessToken: string;
  /** OAuth access tokens issued and still valid. */
  private readonly issued = new Set<string>();
  private readonly properties: Record<string, HubSpotProperty[]>;
  private sequence = 100;
  private clock: number;

  private constructor(private readonly options: HubSpotStandInOptions) {
    super();
    this.accessToken = options.accessToken ?? 'pat-na1-standin';
    this.clock = Date.now() - 3_600_000;
    const defaults = JSON.parse(readFileSync(FIXTURES, 'utf8')) as Record<string, HubSpotProperty[]>;
    this.properties = Object.fromEntries(
      Object.entries(defaults).map(([type, list]) => [type, [...list, ...(options.customProperties?.[type] ?? [])]]),
    );
  }

  static async start(options: HubSpotStandInOptions = {}): Promise<HubSpotStandIn> {
    const standIn = new HubSpotStandIn(options);
    standIn.seed();
    standIn.server = await StandInServer.start((request) => standIn.answer(request), {
      headers: () => ({ 'x-hubspot-correlation-id': randomUUID() }),
    });
    return standIn;
  }

  /**
   * A 429 as HubSpot sends it (RATE_LIMIT, the ten-secondly rolling policy: `X-HubSpot-RateLimit-Remaining: 0` and
   * the window's length), with `Retry-After` when given; `intervalMs` shortens the window for tests.
   */
  rateLimitNext(path: string | RegExp, retryAfterSeconds?: number, times = 1, intervalMs = 10_000): void {
    const headers: Record<string, string> = {
      'x-hubspot-ratelimit-max': '100',
      'x-hubspot-ratelimit-remaining': '0',
      'x-hubspot-ratelimit-interval-milliseconds': String(intervalMs),
    };
    if (retryAfterSeconds !== undefined) headers['retry-after'] = String(retryAfterSeconds);
    this.fail({
      path,
      times,
      response: {
        status: 429,
        headers,
        body: {
          status: 'error',
          message: 'You have reached your ten_secondly_rolling limit.',
          errorType: 'RATE_LIMIT',
          correlationId: randomUUID(),
          policyName: 'TEN_SECONDLY_ROLLING',
        },
      },
    });
  }

  /** A 500 as HubSpot sends it. */
  serverErrorNext(path: string | RegExp, times = 1): void {
    this.fail({ path, times, response: { status: 500, body: hubspotError('internal error', 'INTERNAL_ERROR') } });
  }

  /** Revokes every OAuth access token issued so far (as when they expire): the next request answers 401. */
  expireTokens(): void {
    this.issued.clear();
  }

  /** The property definitions of an object type. */
  propertiesOf(type: string): HubSpotProperty[] {
    return this.properties[type] ?? [];
  }

  /** Creates a record now. */
  create(type: string, properties: Record<string, string | null> = {}): HubSpotRecord {
    const at = this.tick();
    const record = this.make(type, at, properties);
    this.list(type).push(record);
    return record;
  }

  /** Changes a record now (its updatedAt and last-modified property move). */
  update(type: string, id: string, properties: Record<string, string | null>): HubSpotRecord {
    const record = this.find(type, id);
    const at = new Date(this.tick()).toISOString();
    Object.assign(record.properties, properties, { [modifiedProperty(type)]: at });
    record.updatedAt = at;
    return record;
  }

  /** Archives a record now (it leaves lists and search, and shows up with `archived=true`). */
  archive(type: string, id: string): void {
    const record = this.find(type, id);
    record.archived = true;
    record.archivedAt = new Date(this.tick()).toISOString();
  }

  /** Live records of a type, oldest change first. */
  live(type: string): HubSpotRecord[] {
    return this.list(type).filter((r) => !r.archived);
  }

  /** Associates records (`associate('contacts', '1', 'companies', '2')`). */
  associate(from: string, fromId: string, to: string, toId: string): void {
    const pair = `${from}>${to}`;
    let map = this.associations.get(pair);
    if (!map) this.associations.set(pair, (map = new Map()));
    map.set(fromId, [...(map.get(fromId) ?? []), toId]);
  }

  /** Moves the clock on, in ms. */
  advance(ms: number): void {
    this.clock += ms;
  }

  /** Now, in epoch ms, never before the last change. */
  private tick(): number {
    this.clock = Math.max(this.clock + 1, Date.now());
    return this.clock;
  }

  private list(type: string): HubSpotRecord[] {
    let list = this.records.get(type);
    if (!list) this.records.set(type, (list = []));
    return list;
  }

  private find(type: string, id: string): HubSpotRecord {
    const found = this.list(type).find((r) => r.id === id);
    if (!found) throw new Error(`the stand-in has no ${type} record ${id}`);
    return found;
  }

  private seed(): void {
    const start = this.clock - 86_400_000;
    for (const type of Object.keys(HUBSPOT_OBJECT_TYPES)) {
      const count = this.options.counts?.[type] ?? 3;
      // A minute apart, two records per millisecond pair sharing a timestamp, as real data does.
      for (let i = 0; i < count; i++) this.list(type).push(this.make(type, start + Math.floor(i / 2) * 60_000));
    }
    for (let i = 1; i <= 3; i++) {
      const at = new Date(start).toISOString();
      this.owners.push({
        id: String(i),
        email: `owner${i}@example.com`,
        firstName: `Owner${i}`,
        lastName: 'Standin',
        userId: 1000 + i,
        createdAt: at,
        updatedAt: at,
        archived: false,
        teams: [{ id: '1', name: 'Sales', primary: true }],
      });
    }
    const [contact] = this.list('contacts');
    const [company] = this.list('companies');
    const [deal] = this.list('deals');
    if (contact && company) this.associate('contacts', contact.id, 'companies', company.id);
    if (deal && contact) this.associate('deals', deal.id, 'contacts', contact.id);
  }

  private make(type: string, at: number, fields: Record<string, string | null> = {}): HubSpotRecord {
    const id = String(++this.sequence);
    const iso = new Date(at).toISOString();
    const values: Record<string, string | null> = { hs_object_id: id, createdate: iso, [modifiedProperty(type)]: iso };
    for (const property of this.propertiesOf(type)) {
      if (property.name in values) continue;
      values[property.name] = sampleValue(property, Number(id));
    }
    return { id, properties: { ...values, ...fields }, createdAt: iso, updatedAt: iso, archived: false };
  }

  private answer(request: StandInRequest): StandInResponse {
    const path = request.url.pathname;
    if (path === '/oauth/v1/token' && request.method === 'POST') return this.token(request);
    const token = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (!token)
      return {
        status: 401,
        body: hubspotError(
          'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
          'INVALID_AUTHENTICATION',
        ),
      };
    const scoped = this.options.scopedTokens?.[token];
    if (token !== this.accessToken && !scoped && !this.issued.has(token)) {
      const expired = token.startsWith('oauth-');
      return {
        status: 401,
        body: hubspotError(
          expired ? 'The OAuth token used to make this call expired 0 second(s) ago.' : 'Authentication credentials not found.',
          expired ? 'EXPIRED_AUTHENTICATION' : 'INVALID_AUTHENTICATION',
        ),
      };
    }
    const objectType =
      /^\/crm\/v3\/(?:objects|properties|pipelines)\/([a-z_]+)/.exec(path)?.[1] ?? /^\/crm\/v4\/associations\/([a-z_]+)\//.exec(path)?.[1];
    const needed = objectType
      ? HUBSPOT_OBJECT_TYPES[objectType]?.scope
      : path.startsWith('/crm/v3/owners')
        ? 'crm.objects.owners.read'
        : undefined;
    if (scoped && needed && !scoped.includes(needed)) return { status: 403, body: missingScopes(needed) };
    const limitHeaders = {
      'x-hubspot-ratelimit-max': '190',
      'x-hubspot-ratelimit-remaining': '189',
      'x-hubspot-ratelimit-interval-milliseconds': '10000',
      'x-hubspot-ratelimit-daily': '1000000',
      'x-hubspot-ratelimit-daily-remaining': '999999',
    };
    let match: RegExpExecArray | null;
    if ((match = /^\/crm\/v3\/objects\/([a-z_]+)\/search$/.exec(path)) && request.method === 'POST')
      return this.search(match[1] as string, request.body);
    const answer = (() => {
      if ((match = /^\/crm\/v3\/objects\/([a-z_]+)$/.exec(path)) && request.method === 'GET')
        return this.listPage(match[1] as string, request.url.searchParams);
      if ((match = /^\/crm\/v3\/properties\/([a-z_]+)$/.exec(path))) {
        const type = match[1] as string;
        if (!this.properties[type]) return notFound(path);
        return { status: 200, body: { results: this.propertiesOf(type) } };
      }
      if (/^\/crm\/v3\/owners\/?$/.test(path)) return this.owned(request.url.searchParams);
      if ((match = /^\/crm\/v3\/pipelines\/([a-z_]+)$/.exec(path))) return this.pipelines(match[1] as string);
      if ((match = /^\/crm\/v4\/associations\/([a-z_]+)\/([a-z_]+)\/batch\/read$/.exec(path)) && request.method === 'POST')
        return this.associationsRead(match[1] as string, match[2] as string, request.body);
      return notFound(path);
    })();
    return { ...answer, headers: { ...limitHeaders, ...answer.headers } };
  }

  private token(request: StandInRequest): StandInResponse {
    const form = new URLSearchParams(request.body);
    const oauth = this.options.oauth;
    if (!oauth || form.get('client_id') !== oauth.clientId || form.get('client_secret') !== oauth.clientSecret) {
      return { status: 400, body: { status: 'BAD_CLIENT_ID', message: 'missing or unknown client id', correlationId: randomUUID() } };
    }
    if (form.get('grant_type') !== 'refresh_token' || form.get('refresh_token') !== oauth.refreshToken) {
      return {
        status: 400,
        body: { status: 'BAD_REFRESH_TOKEN', message: 'missing or invalid refresh token', correlationId: randomUUID() },
      };
    }
    const accessToken = `oauth-${randomUUID()}`;
    this.issued.add(accessToken);
    return {
      status: 200,
      body: { token_type: 'bearer', refresh_token: oauth.refreshToken, access_token: accessToken, expires_in: oauth.expiresIn ?? 1800 },
    };
  }

  /** `GET /crm/v3/objects/{type}`: by id, `limit` (max 100), `after`, `properties`, `archived`. */
  private listPage(type: string, query: URLSearchParams): StandInResponse {
    if (!HUBSPOT_OBJECT_TYPES[type]) return notFound(`/crm/v3/objects/${type}`);
    const limit = Number(query.get('limit') ?? 10);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100)
      return { status: 400, body: hubspotError(`limit must be between 1 and 100, got ${String(query.get('limit'))}`, 'VALIDATION_ERROR') };
    const archived = query.get('archived') === 'true';
    const all = this.list(type)
      .filter((r) => r.archived === archived)
      .sort((a, b) => Number(a.id) - Number(b.id));
    const after = query.get('after');
    const start = after ? all.findIndex((r) => Number(r.id) >= Number(after)) : 0;
    const from = start < 0 ? all.length : start;
    const page = all.slice(from, from + limit);
    const wanted = query.getAll('properties').flatMap((p) => p.split(','));
    const next = all[from + limit];
    return {
      status: 200,
      body: {
        results: page.map((r) => shape(r, wanted)),
        ...(next ? { paging: { next: { after: next.id, link: `${this.url}/crm/v3/objects/${type}?after=${next.id}` } } } : {}),
      },
    };
  }

  /** `POST /crm/v3/objects/{type}/search`. */
  private search(type: string, text: string): StandInResponse {
    if (!HUBSPOT_OBJECT_TYPES[type]) return notFound(`/crm/v3/objects/${type}/search`);
    const body = JSON.parse(text || '{}') as {
      filterGroups?: { filters?: Filter[] }[];
      sorts?: (string | { propertyName: string; direction?: string })[];
      properties?: string[];
      limit?: number;
      after?: string | number;
    };
    const limit = body.limit ?? 10;
    if (!Number.isInteger(limit) || limit < 1 || limit > 200)
      return { status: 400, body: hubspotError(`limit must be between 1 and 200`, 'VALIDATION_ERROR') };
    const groups = body.filterGroups ?? [];
    const matches = (r: HubSpotRecord) => groups.length === 0 || groups.some((g) => (g.filters ?? []).every((f) => filterMatches(r, f)));
    let results = this.list(type).filter((r) => !r.archived && matches(r));
    const sort = body.sorts?.[0];
    if (sort !== undefined) {
      const name = typeof sort === 'string' ? sort.replace(/^-/, '') : sort.propertyName;
      const descending = typeof sort === 'string' ? sort.startsWith('-') : sort.direction === 'DESCENDING';
      results = results
        .slice()
        .sort((a, b) => (compareValues(a.properties[name], b.properties[name]) || Number(a.id) - Number(b.id)) * (descending ? -1 : 1));
    } else results = results.slice().sort((a, b) => Number(a.id) - Number(b.id));
    const offset = Number(body.after ?? 0);
    const cap = this.options.searchCap ?? HUBSPOT_SEARCH_CAP;
    if (offset >= cap) return { status: 400, body: hubspotError(`There was a problem with the request.`, 'VALIDATION_ERROR') };
    const wanted = body.properties ?? ['createdate', modifiedProperty(type), 'hs_object_id'];
    const page = results.slice(offset, Math.min(offset + limit, cap));
    const nextOffset = offset + page.length;
    return {
      status: 200,
      body: {
        total: results.length,
        results: page.map((r) => shape(r, wanted)),
        ...(nextOffset < Math.min(results.length, cap) ? { paging: { next: { after: String(nextOffset) } } } : {}),
      },
    };
  }

  private owned(query: URLSearchParams): StandInResponse {
    const limit = Number(query.get('limit') ?? 100);
    const start = Number(query.get('after') ?? 0);
    const page = this.owners.slice(start, start + limit);
    return {
      status: 200,
      body: { results: page, ...(start + limit < this.owners.length ? { paging: { next: { after: String(start + limit) } } } : {}) },
    };
  }

  private pipelines(type: string): StandInResponse {
    if (type !== 'deals' && type !== 'tickets')
      return { status: 400, body: hubspotError(`Unable to infer object type from: ${type}`, 'VALIDATION_ERROR') };
    const at = '2024-01-01T00:00:00Z';
    const stages = type === 'deals' ? ['appointmentscheduled', 'closedwon', 'closedlost'] : ['1', '2', '3', '4'];
    const pipeline = {
      id: type === 'deals' ? 'default' : '0',
      label: type === 'deals' ? 'Sales Pipeline' : 'Support Pipeline',
      displayOrder: 0,
      createdAt: at,
      updatedAt: at,
      archived: false,
      stages: stages.map((id, i) => ({
        id,
        label: id,
        displayOrder: i,
        metadata: type === 'deals' ? { probability: String(i / 2), isClosed: String(i > 0) } : { ticketState: i === 3 ? 'CLOSED' : 'OPEN' },
        createdAt: at,
        updatedAt: at,
        archived: false,
        writePermissions: 'CRM_PERMISSIONS_ENFORCEMENT',
      })),
    };
    return { status: 200, body: { results: [pipeline] } };
  }

  private associationsRead(from: string, to: string, text: string): StandInResponse {
    const { inputs = [] } = JSON.parse(text || '{}') as { inputs?: { id: string }[] };
    if (inputs.length > 1000) return { status: 400, body: hubspotError('Batch input too large: at most 1000 inputs', 'VALIDATION_ERROR') };
    const map = this.associations.get(`${from}>${to}`);
    const results = inputs
      .filter((input) => (map?.get(String(input.id)) ?? []).length > 0)
      .map((input) => ({
        from: { id: String(input.id) },
        to: (map?.get(String(input.id)) ?? []).map((toObjectId) => ({
          toObjectId: Number(toObjectId),
          associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: 1, label: null }],
        })),
      }));
    const now = new Date().toISOString();
    return { status: 200, body: { status: 'COMPLETE', results, startedAt: now, completedAt: now } };
  }
}

interface Filter {
  propertyName: string;
  operator: string;
  value?: string;
}

/** Starts a HubSpot stand-in on 127.0.0.1 (a random port). */
export function startHubSpotStandIn(options: HubSpotStandInOptions = {}): Promise<HubSpotStandIn> {
  return HubSpotStandIn.start(options);
}

/** HubSpot's error body. */
export function hubspotError(message: string, category: string): Record<string, unknown> {
  return { status: 'error', message, correlationId: randomUUID(), category };
}

function missingScopes(scope: string): Record<string, unknown> {
  return {
    ...hubspotError(
      "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.",
      'MISSING_SCOPES',
    ),
    errors: [{ message: 'One or more of the following scopes are required.', context: { requiredGranularScopes: [scope] } }],
    links: { scopes: 'https://developers.hubspot.com/scopes' },
  };
}

function notFound(path: string): StandInResponse {
  return { status: 404, body: hubspotError(`Unable to route ${path}`, 'OBJECT_NOT_FOUND') };
}

function modifiedProperty(type: string): string {
  return HUBSPOT_OBJECT_TYPES[type]?.modified ?? 'hs_lastmodifieddate';
}

function shape(record: HubSpotRecord, wanted: readonly string[]): Record<string, unknown> {
  const properties =
    wanted.length === 0 ? record.properties : Object.fromEntries(wanted.map((name) => [name, record.properties[name] ?? null]));
  return {
    id: record.id,
    properties,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    archived: record.archived,
    ...(record.archivedAt ? { archivedAt: record.archivedAt } : {}),
  };
}

/** Dates compare as instants (filter values come as epoch ms or ISO text), numbers as numbers. */
function instant(value: string | null | undefined): number {
  if (value === null || value === undefined || value === '') return Number.NaN;
  return /^\d+$/.test(value) ? Number(value) : Date.parse(value);
}

function compareValues(a: string | null | undefined, b: string | null | undefined): number {
  const x = instant(a);
  const y = instant(b);
  if (Number.isFinite(x) && Number.isFinite(y)) return x - y;
  return String(a ?? '').localeCompare(String(b ?? ''));
}

function filterMatches(record: HubSpotRecord, filter: Filter): boolean {
  const value = record.properties[filter.propertyName];
  const cmp = compareValues(value, filter.value);
  switch (filter.operator) {
    case 'GTE':
      return cmp >= 0;
    case 'GT':
      return cmp > 0;
    case 'LTE':
      return cmp <= 0;
    case 'LT':
      return cmp < 0;
    case 'EQ':
      return cmp === 0;
    case 'NEQ':
      return cmp !== 0;
    case 'HAS_PROPERTY':
      return value !== null && value !== undefined && value !== '';
    default:
      return false;
  }
}

/** A plausible value of a property, as HubSpot sends it (text). */
function sampleValue(property: HubSpotProperty, n: number): string | null {
  const options = (property['options'] as { value: string }[] | undefined) ?? [];
  switch (property.type) {
    case 'number':
      return property.name === 'hubspot_owner_id' ? '1' : `${n * 10}.25`;
    case 'bool':
      return n % 2 === 0 ? 'true' : 'false';
    case 'date':
      return '2024-03-15';
    case 'datetime':
      return '2024-03-15T10:30:00.000Z';
    case 'enumeration':
      return options[n % Math.max(1, options.length)]?.value ?? '1';
    default:
      return property.name.includes('email') ? `person${n}@example.com` : `${property.name} ${n}`;
  }
}
