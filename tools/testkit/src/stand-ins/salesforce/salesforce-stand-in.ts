// A stand-in for the Salesforce APIs, written from Salesforce's REST API, Bulk API 2.0 and OAuth docs
// (developer.salesforce.com/docs/atlas.en-us.api_rest.meta, …api_asynch.meta, help "OAuth authorization flows"):
// OAuth 2.0 token endpoint (`/services/oauth2/token`: password, refresh_token and JWT bearer grants, answering
// `{access_token, instance_url, id, token_type, issued_at, signature}` or `{error, error_description}`), SOAP
// `login()` (`/services/Soap/u/{version}`), describeGlobal (`/sobjects`), sObject describe, SOQL `query` and
// `queryAll` (deleted records with `IsDeleted`) paged by `nextRecordsUrl`, `SELECT COUNT()` (`totalSize`), Bulk
// API 2.0 query jobs (`/jobs/query`: create, poll, CSV results paged by the `Sforce-Locator` header), error
// bodies (`[{message, errorCode}]`), INVALID_SESSION_ID on an expired session and the `Sforce-Limit-Info`
// header. sObjects and fields come from fixtures/stand-ins/salesforce/describe.json (standard objects, a custom
// object with currency, percent and location fields, and objects that are not queryable). Read API only.
import { createPublicKey, randomUUID, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { StandInServer, VendorStandIn, type StandInRequest, type StandInResponse } from '../stand-in-server.js';

/** A field of a describe. */
export type SalesforceField = Record<string, unknown> & { name: string; type: string; compoundFieldName?: string | null };
/** An sObject record (field values as the REST API sends them). */
export type SalesforceRecord = Record<string, unknown> & { Id: string; SystemModstamp: string; IsDeleted?: boolean };

const FIXTURES = new URL('../../../fixtures/stand-ins/salesforce/describe.json', import.meta.url);

export interface SalesforceStandInOptions {
  /** Username and password (+ security token appended) the password grant and SOAP login accept. */
  username?: string;
  password?: string;
  securityToken?: string;
  /** The connected app. */
  clientId?: string;
  clientSecret?: string;
  /** A refresh token the refresh_token grant accepts. */
  refreshToken?: string;
  /** The PEM public key JWT bearer assertions are verified with. */
  jwtPublicKey?: string;
  /** Records per sObject (default 3). */
  counts?: Partial<Record<string, number>>;
  /** Records per query page (Salesforce's default batch is 2,000). */
  queryBatchSize?: number;
  /** Records per Bulk API 2.0 result page (Salesforce decides; `maxRecords` lowers it). */
  bulkPageSize?: number;
  /** sObjects whose queries Bulk API 2.0 refuses (as for CaseStatus). */
  bulkUnsupported?: readonly string[];
  /** The org's API usage reported in `Sforce-Limit-Info` (`used/limit`); default `25/15000`. */
  apiUsage?: string;
}

interface BulkJob {
  id: string;
  object: string;
  operation: string;
  query: string;
  rows: Record<string, unknown>[];
  fields: string[];
}

/** The running stand-in: its URL (login and instance), the records it serves, and ways to change them. */
export class SalesforceStandIn extends VendorStandIn {
  readonly records = new Map<string, SalesforceRecord[]>();
  readonly username: string;
  readonly password: string;
  readonly securityToken: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly refreshToken: string;
  readonly version = '62.0';
  private readonly describes: Record<string, { label: string; custom: boolean; fields: SalesforceField[] }>;
  private readonly notQueryable: string[];
  private readonly sessions = new Set<string>();
  private readonly cursors = new Map<string, { rows: Record<string, unknown>[]; offset: number; path: string }>();
  private readonly jobs = new Map<string, BulkJob>();
  private readonly jwtKey?: KeyObject;
  private sequence = 0;
  private clock = Date.now() - 3_600_000;

  private constructor(private readonly options: SalesforceStandInOptions) {
    super();
    this.username = options.username ?? 'integration@example.com';
    this.password = options.password ?? 'standin-password';
    this.securityToken = options.securityToken ?? 'standinSecurityToken';
    this.clientId = options.clientId ?? '3MVG9standin';
    this.clientSecret = options.clientSecret ?? 'standin-client-secret';
    this.refreshToken = options.refreshToken ?? '5Aep861standin';
    if (options.jwtPublicKey) this.jwtKey = createPublicKey(options.jwtPublicKey);
    const fixture = JSON.parse(readFileSync(FIXTURES, 'utf8')) as { objects: SalesforceStandIn['describes']; notQueryable: string[] };
    this.describes = fixture.objects;
    this.notQueryable = fixture.notQueryable;
  }

  static async start(options: SalesforceStandInOptions = {}): Promise<SalesforceStandIn> {
    const standIn = new SalesforceStandIn(options);
    standIn.seed();
    standIn.server = await StandInServer.start((request) => standIn.answer(request), {
      headers: () => ({ 'sforce-limit-info': `api-usage=${options.apiUsage ?? '25/15000'}` }),
    });
    return standIn;
  }

  /** Ends every session (as when they time out): the next API request answers 401 INVALID_SESSION_ID. */
  expireSessions(): void {
    this.sessions.clear();
  }

  /** The fields of an sObject's describe. */
  fieldsOf(object: string): SalesforceField[] {
    return this.describes[object]?.fields ?? [];
  }

  /** Live records of an sObject. */
  live(object: string): SalesforceRecord[] {
    return this.list(object).filter((r) => !r.IsDeleted);
  }

  /** Creates a record now. */
  create(object: string, fields: Record<string, unknown> = {}): SalesforceRecord {
    const record = { ...this.make(object, this.tick()), ...fields };
    this.list(object).push(record);
    return record;
  }

  /** Changes a record now (SystemModstamp and LastModifiedDate move). */
  update(object: string, id: string, fields: Record<string, unknown>): SalesforceRecord {
    const record = this.find(object, id);
    const at = stamp(this.tick());
    Object.assign(record, fields, { SystemModstamp: at, LastModifiedDate: at });
    return record;
  }

  /** Deletes a record now (to the recycle bin: `queryAll` still returns it, with IsDeleted true). */
  remove(object: string, id: string): void {
    const record = this.find(object, id);
    const at = stamp(this.tick());
    Object.assign(record, { IsDeleted: true, SystemModstamp: at });
  }

  /** Moves the clock on, in ms. */
  advance(ms: number): void {
    this.clock += ms;
  }

  private tick(): number {
    this.clock = Math.max(this.clock + 1, Date.now());
    return this.clock;
  }

  private list(object: string): SalesforceRecord[] {
    let list = this.records.get(object);
    if (!list) this.records.set(object, (list = []));
    return list;
  }

  private find(object: string, id: string): SalesforceRecord {
    const found = this.list(object).find((r) => r.Id === id);
    if (!found) throw new Error(`the stand-in has no ${object} record ${id}`);
    return found;
  }

  private seed(): void {
    const start = this.clock - 86_400_000;
    for (const object of Object.keys(this.describes)) {
      const count = this.options.counts?.[object] ?? 3;
      for (let i = 0; i < count; i++) this.list(object).push(this.make(object, start + Math.floor(i / 2) * 1000));
    }
  }

  private make(object: string, at: number): SalesforceRecord {
    const n = ++this.sequence;
    const prefix = object === 'Account' ? '001' : object === 'Contact' ? '003' : object === 'Opportunity' ? '006' : 'a0B';
    const id = `${prefix}5g00000${String(n).padStart(8, '0')}AAA`.slice(0, 18);
    const record: SalesforceRecord = { Id: id, SystemModstamp: stamp(at) };
    for (const field of this.fieldsOf(object)) {
      if (field.name in record) continue;
      record[field.name] = sampleValue(field, n, at);
    }
    record.IsDeleted = false;
    return record;
  }

  private answer(request: StandInRequest): StandInResponse {
    const path = request.url.pathname;
    if (path === '/services/oauth2/token' && request.method === 'POST') return this.token(new URLSearchParams(request.body));
    if (/^\/services\/Soap\/u\/[\d.]+$/.test(path) && request.method === 'POST') return this.soapLogin(request.body);
    const session = /^(?:Bearer|OAuth)\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
    if (!session || !this.sessions.has(session))
      return { status: 401, body: [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }] };
    const api = /^\/services\/data\/v([\d.]+)(\/.*)?$/.exec(path);
    if (!api) return notFound(path);
    const rest = api[2] ?? '';
    let match: RegExpExecArray | null;
    if (rest === '/sobjects') return this.describeGlobal();
    if ((match = /^\/sobjects\/([A-Za-z0-9_]+)\/describe$/.exec(rest))) return this.describe(match[1] as string);
    if (rest === '/query' || rest === '/queryAll')
      return this.query(request.url.searchParams.get('q') ?? '', rest === '/queryAll', `/services/data/v${api[1]}${rest}`);
    if ((match = /^\/(query|queryAll)\/([\w-]+)$/.exec(rest))) return this.more(match[2] as string);
    if (rest === '/jobs/query' && request.method === 'POST') return this.createJob(request.body);
    if ((match = /^\/jobs\/query\/(\w+)$/.exec(rest))) {
      const job = this.jobs.get(match[1] as string);
      if (!job) return notFound(path);
      if (request.method === 'DELETE') {
        this.jobs.delete(job.id);
        return { status: 204 };
      }
      return { status: 200, body: this.jobInfo(job, 'JobComplete') };
    }
    if ((match = /^\/jobs\/query\/(\w+)\/results$/.exec(rest))) return this.results(match[1] as string, request.url.searchParams);
    return notFound(path);
  }

  private issue(): Record<string, unknown> {
    const token = `00Dstandin!${randomUUID().replace(/-/g, '')}`;
    this.sessions.add(token);
    return {
      access_token: token,
      instance_url: this.url,
      id: `${this.url}/id/00Dstandin0000001/005standin0000001`,
      token_type: 'Bearer',
      issued_at: String(Date.now()),
      signature: 'c3RhbmRpbg==',
    };
  }

  private token(form: URLSearchParams): StandInResponse {
    const refused = (error: string, description: string): StandInResponse => ({
      status: 400,
      body: { error, error_description: description },
    });
    const grant = form.get('grant_type');
    if (grant === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      const [header, payload, signature] = String(form.get('assertion')).split('.');
      if (!this.jwtKey || !header || !payload || !signature) return refused('invalid_grant', 'invalid assertion');
      if (!verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), this.jwtKey, Buffer.from(signature, 'base64url')))
        return refused('invalid_grant', 'invalid assertion');
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
      if (claims['iss'] !== this.clientId) return refused('invalid_client_id', 'client identifier invalid');
      if (claims['sub'] !== this.username) return refused('invalid_grant', "user hasn't approved this consumer");
      if (Number(claims['exp']) * 1000 < Date.now()) return refused('invalid_grant', 'expired authorization code');
      return { status: 200, body: this.issue() };
    }
    if (form.get('client_id') !== this.clientId) return refused('invalid_client_id', 'client identifier invalid');
    if (form.get('client_secret') !== this.clientSecret) return refused('invalid_client', 'invalid client credentials');
    if (grant === 'password') {
      if (form.get('username') !== this.username || form.get('password') !== `${this.password}${this.securityToken}`)
        return refused('invalid_grant', 'authentication failure');
      return { status: 200, body: this.issue() };
    }
    if (grant === 'refresh_token') {
      if (form.get('refresh_token') !== this.refreshToken) return refused('invalid_grant', 'expired access/refresh token');
      return { status: 200, body: this.issue() };
    }
    return refused('unsupported_grant_type', 'grant type not supported');
  }

  private soapLogin(body: string): StandInResponse {
    const username = /<username>([^<]*)<\/username>/.exec(body)?.[1];
    const password = /<password>([^<]*)<\/password>/.exec(body)?.[1];
    if (username !== this.username || password !== `${this.password}${this.securityToken}`) {
      return {
        status: 500,
        headers: { 'content-type': 'text/xml' },
        raw: soapFault('INVALID_LOGIN', 'INVALID_LOGIN: Invalid username, password, security token; or user locked out.'),
      };
    }
    const token = String(this.issue()['access_token']);
    const xml = `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns="urn:partner.soap.sforce.com"><soapenv:Body><loginResponse><result><metadataServerUrl>${this.url}/services/Soap/m/${this.version}/00Dstandin0000001</metadataServerUrl><passwordExpired>false</passwordExpired><sandbox>false</sandbox><serverUrl>${this.url}/services/Soap/u/${this.version}/00Dstandin0000001</serverUrl><sessionId>${token}</sessionId><userId>005standin0000001</userId><userInfo><organizationId>00Dstandin0000001</organizationId></userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>`;
    return { status: 200, headers: { 'content-type': 'text/xml' }, raw: xml };
  }

  private describeGlobal(): StandInResponse {
    const sobjects = [
      ...Object.entries(this.describes).map(([name, d]) => ({
        name,
        label: d.label,
        custom: d.custom,
        queryable: true,
        retrieveable: true,
        replicateable: true,
        deprecatedAndHidden: false,
        urls: { describe: `/services/data/v${this.version}/sobjects/${name}/describe` },
      })),
      ...this.notQueryable.map((name) => ({
        name,
        label: name,
        custom: false,
        queryable: false,
        retrieveable: false,
        replicateable: false,
        deprecatedAndHidden: false,
        urls: {},
      })),
    ];
    return { status: 200, body: { encoding: 'UTF-8', maxBatchSize: 200, sobjects } };
  }

  private describe(object: string): StandInResponse {
    const d = this.describes[object];
    if (!d) return { status: 404, body: [{ message: `The requested resource does not exist`, errorCode: 'NOT_FOUND' }] };
    return {
      status: 200,
      body: { name: object, label: d.label, custom: d.custom, queryable: true, retrieveable: true, replicateable: true, fields: d.fields },
    };
  }

  private query(soql: string, all: boolean, path: string): StandInResponse {
    const parsed = parseSoql(soql);
    if ('error' in parsed) return { status: 400, body: [{ message: parsed.error, errorCode: 'MALFORMED_QUERY' }] };
    const fields = this.fieldsOf(parsed.object);
    if (fields.length === 0)
      return { status: 400, body: [{ message: `sObject type '${parsed.object}' is not supported.`, errorCode: 'INVALID_TYPE' }] };
    const unknown = parsed.fields.find((f) => !fields.some((d) => d.name === f));
    if (unknown)
      return { status: 400, body: [{ message: `No such column '${unknown}' on entity '${parsed.object}'.`, errorCode: 'INVALID_FIELD' }] };
    const rows = this.matching(parsed, all);
    if (parsed.count) return { status: 200, body: { totalSize: rows.length, done: true, records: [] } };
    const shaped = rows.map((r) => ({
      attributes: { type: parsed.object, url: `/services/data/v${this.version}/sobjects/${parsed.object}/${r.Id}` },
      ...Object.fromEntries(parsed.fields.map((f) => [f, r[f] ?? null])),
    }));
    const locator = `01g${randomUUID().replace(/-/g, '').slice(0, 15)}`;
    this.cursors.set(locator, { rows: shaped, offset: 0, path });
    return this.more(locator);
  }

  private more(locator: string): StandInResponse {
    const [id, offsetText] = locator.split('-');
    const cursor = this.cursors.get(id as string);
    if (!cursor) return { status: 400, body: [{ message: 'invalid query locator', errorCode: 'INVALID_QUERY_LOCATOR' }] };
    const size = this.options.queryBatchSize ?? 2000;
    const offset = Number(offsetText ?? 0);
    const page = cursor.rows.slice(offset, offset + size);
    const done = offset + size >= cursor.rows.length;
    return {
      status: 200,
      body: {
        totalSize: cursor.rows.length,
        done,
        records: page,
        ...(done ? {} : { nextRecordsUrl: `${cursor.path}/${id}-${offset + size}` }),
      },
    };
  }

  private matching(parsed: ParsedSoql, all: boolean): SalesforceRecord[] {
    let rows = this.list(parsed.object).filter(
      (r) => (all || !r.IsDeleted) && parsed.where.every((c) => compare(r[c.field], c.op, c.value)),
    );
    if (parsed.orderBy) {
      const key = parsed.orderBy;
      rows = rows.slice().sort((a, b) => String(a[key]).localeCompare(String(b[key])) || a.Id.localeCompare(b.Id));
    }
    return rows;
  }

  private createJob(text: string): StandInResponse {
    const body = JSON.parse(text || '{}') as { operation?: string; query?: string };
    const parsed = parseSoql(body.query ?? '');
    if ('error' in parsed) return { status: 400, body: [{ message: parsed.error, errorCode: 'MALFORMED_QUERY' }] };
    if (this.options.bulkUnsupported?.includes(parsed.object) || parsed.object === 'CaseStatus') {
      return {
        status: 400,
        body: [{ message: `Entity '${parsed.object}' is not supported by the Bulk API.`, errorCode: 'INVALIDENTITY' }],
      };
    }
    const compound = this.fieldsOf(parsed.object)
      .filter((f) => f.type === 'address' || f.type === 'location')
      .map((f) => f.name);
    const selectedCompound = parsed.fields.find((f) => compound.includes(f));
    if (selectedCompound)
      return {
        status: 400,
        body: [{ message: `FUNCTIONALITY_NOT_ENABLED: Selecting compound data not supported in Bulk Query`, errorCode: 'API_ERROR' }],
      };
    const id = `750${randomUUID().replace(/-/g, '').slice(0, 15)}`;
    const job: BulkJob = {
      id,
      object: parsed.object,
      operation: body.operation ?? 'query',
      query: body.query ?? '',
      rows: this.matching(parsed, body.operation === 'queryAll'),
      fields: parsed.fields,
    };
    this.jobs.set(id, job);
    return { status: 200, body: this.jobInfo(job, 'UploadComplete') };
  }

  private jobInfo(job: BulkJob, state: string): Record<string, unknown> {
    return {
      id: job.id,
      operation: job.operation,
      object: job.object,
      createdById: '005standin0000001',
      createdDate: new Date().toISOString(),
      systemModstamp: new Date().toISOString(),
      state,
      concurrencyMode: 'Parallel',
      contentType: 'CSV',
      apiVersion: Number(this.version),
      lineEnding: 'LF',
      columnDelimiter: 'COMMA',
      numberRecordsProcessed: state === 'JobComplete' ? job.rows.length : 0,
      retries: 0,
      totalProcessingTime: 0,
    };
  }

  private results(id: string, query: URLSearchParams): StandInResponse {
    const job = this.jobs.get(id);
    if (!job) return notFound(id);
    const size = Math.min(Number(query.get('maxRecords') ?? Infinity), this.options.bulkPageSize ?? 50_000);
    const offset = Number(query.get('locator') ?? 0);
    const page = job.rows.slice(offset, offset + size);
    const next = offset + size < job.rows.length ? String(offset + size) : 'null';
    const csv =
      [job.fields.map(csvCell).join(','), ...page.map((r) => job.fields.map((f) => csvCell(bulkValue(r[f]))).join(','))].join('\n') + '\n';
    return {
      status: 200,
      headers: { 'content-type': 'text/csv', 'sforce-locator': next, 'sforce-numberofrecords': String(page.length) },
      raw: csv,
    };
  }
}

/** Starts a Salesforce stand-in on 127.0.0.1 (a random port); it serves login and instance URLs alike. */
export function startSalesforceStandIn(options: SalesforceStandInOptions = {}): Promise<SalesforceStandIn> {
  return SalesforceStandIn.start(options);
}

interface ParsedSoql {
  fields: string[];
  object: string;
  count: boolean;
  where: { field: string; op: string; value: string }[];
  orderBy?: string;
}

/** The SOQL a sync sends: `SELECT a, b FROM X [WHERE f >= v AND f < w] [ORDER BY f [ASC]]`, or `SELECT COUNT() FROM X …`. */
function parseSoql(soql: string): ParsedSoql | { error: string } {
  const match = /^\s*SELECT\s+(.+?)\s+FROM\s+(\w+)(?:\s+WHERE\s+(.+?))?(?:\s+ORDER\s+BY\s+(\w+)(?:\s+ASC)?)?\s*$/is.exec(soql);
  if (!match) return { error: `unexpected token in: ${soql.slice(0, 80)}` };
  const [, list, object, conditions, orderBy] = match as unknown as [string, string, string, string | undefined, string | undefined];
  const count = /^COUNT\(\)$/i.test(list.trim());
  const where: ParsedSoql['where'] = [];
  for (const part of conditions ? conditions.split(/\s+AND\s+/i) : []) {
    const condition = /^\s*(\w+)\s*(>=|<=|>|<|=|!=)\s*(\S+)\s*$/.exec(part);
    if (!condition) return { error: `unexpected condition: ${part}` };
    where.push({ field: condition[1] as string, op: condition[2] as string, value: (condition[3] as string).replace(/^'|'$/g, '') });
  }
  return { fields: count ? [] : list.split(',').map((f) => f.trim()), object, count, where, ...(orderBy ? { orderBy } : {}) };
}

function compare(value: unknown, op: string, literal: string): boolean {
  const a = typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : value;
  const b = /^\d{4}-\d{2}-\d{2}T/.test(literal)
    ? Date.parse(literal)
    : literal === 'true'
      ? true
      : literal === 'false'
        ? false
        : Number.isFinite(Number(literal))
          ? Number(literal)
          : literal;
  switch (op) {
    case '>=':
      return (a as number) >= (b as number);
    case '>':
      return (a as number) > (b as number);
    case '<=':
      return (a as number) <= (b as number);
    case '<':
      return (a as number) < (b as number);
    case '=':
      return a === b;
    default:
      return a !== b;
  }
}

/** Salesforce's REST datetime form: `2024-03-15T10:30:00.000+0000`. */
function stamp(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

function notFound(path: string): StandInResponse {
  return { status: 404, body: [{ message: `The requested resource does not exist: ${path}`, errorCode: 'NOT_FOUND' }] };
}

function soapFault(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com"><soapenv:Body><soapenv:Fault><faultcode>sf:${code}</faultcode><faultstring>${message}</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>`;
}

/** Bulk CSV: empty for null, booleans as true/false, compound values never (Bulk refuses them). */
function bulkValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  return String(value);
}

function csvCell(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** A plausible value of a field, as the REST API sends it. */
function sampleValue(field: SalesforceField, n: number, at: number): unknown {
  switch (field.type) {
    case 'boolean':
      return n % 2 === 0;
    case 'int':
      return n * 10;
    case 'double':
      return field.compoundFieldName ? 37.7749 : n * 1.5;
    case 'currency':
      return Number(field['scale'] ?? 0) > 0 ? n * 1000 + 0.25 : n * 1000;
    case 'percent':
      return 12.5;
    case 'date':
      return '2024-03-15';
    case 'datetime':
      return stamp(at);
    case 'time':
      return '10:30:00.000Z';
    case 'address':
      return {
        city: `City ${n}`,
        country: 'US',
        geocodeAccuracy: null,
        latitude: 37.7749,
        longitude: -122.4194,
        postalCode: '94105',
        state: 'CA',
        street: `${n} Market St`,
      };
    case 'location':
      return { latitude: 37.7749, longitude: -122.4194 };
    case 'reference':
      return null;
    case 'id':
      return null;
    default:
      return `${field.name} ${n}`;
  }
}
