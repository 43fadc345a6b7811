// A stand-in for the BigQuery REST API v2 (cloud.google.com/bigquery/docs/reference/rest), on a real socket, for
// the official Node client (@google-cloud/bigquery, pointed at it with `apiEndpoint`). It is not BigQuery: it runs
// the SQL it is sent on DuckDB, translated only where GoogleSQL and DuckDB differ (bigquery-sql.ts), and keeps
// BigQuery's table schemas (types and modes) beside DuckDB's tables. What it serves, from Google's reference:
//
// - the OAuth 2.0 JWT-bearer token exchange (RFC 7523) at `/token`, the `token_uri` of the service account key it
//   hands out (`credentials()`): the RS256 signature against the key's public half, `iss`, the bigquery `scope`,
//   `aud`, `iat`/`exp` (at most an hour) — and API calls only with an unexpired token it issued (401 otherwise);
// - datasets.get/insert/delete, tables.list (paged)/get/insert/patch/delete (patch may add columns, never drop or
//   retype them; a CREATE TABLE's PRIMARY KEY … NOT ENFORCED shows as tableConstraints.primaryKey);
// - dry runs of a SELECT (jobs.insert with dryRun: the result schema, nothing run, nothing stored);
// - jobs.insert for query jobs, and the multipart upload of jobs.insert (`/upload/bigquery/v2/…?uploadType=multipart`)
//   for load jobs of NEWLINE_DELIMITED_JSON (gzip or not), with createDisposition/writeDisposition, the schema of
//   the job, and every value checked against its column type as BigQuery documents the JSON load format;
// - jobs.get (RUNNING for `runningPolls` polls, then DONE with errorResult/errors when the job failed);
// - jobs.query and jobs.getQueryResults: the first page with the query, then pages by pageToken/maxResults
//   (`pageSize` rows by default), jobComplete false while the job "runs", TIMESTAMP as int64 µs when asked;
// - errors in BigQuery's envelope ({error: {code, message, errors: [{reason, message}], status}}) and planned
//   faults: HTTP ones through the shared server (`fail`, with `bigQueryErrorResponse(429, 'rateLimitExceeded')`),
//   and jobs that end in errorResult (`failJobs({reason: 'backendError'})`).
//
// GoogleSQL rules it checks: UPDATE and DELETE need a WHERE clause; a multi-statement transaction holds DML only;
// ALTER COLUMN SET DATA TYPE only as BigQuery coerces (INT64 → NUMERIC/BIGNUMERIC/FLOAT64, NUMERIC → BIGNUMERIC/
// FLOAT64); keys are never enforced. What it does not check: cost, quotas, locations, IAM, partition and cluster
// specs (accepted and reported back, not applied), MERGE's "at most one source row per target row" rule, and any
// SQL DuckDB happens to accept that BigQuery would not (or the reverse): that is for the golden files and the live
// test. Bare (unquoted) names DuckDB reserves but GoogleSQL does not (`at`) must be quoted. BIGNUMERIC is stored as text (DuckDB's DECIMAL stops at 38 digits): exact through loads and copies only.
import { generateKeyPairSync, randomBytes, randomUUID, verify } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { Decimal, parseExactJson } from '@mage-int/core';
import { DuckEngine } from '../duckdb-engine.js';
import { splitTopLevel } from '../sql-tokens.js';
import { StandInServer, VendorStandIn, type StandInRequest, type StandInResponse } from '../stand-in-server.js';
import {
  duckdbType,
  GoogleSqlError,
  googleSqlType,
  matchingParen,
  nextSolid,
  renderDuckdb,
  shape,
  splitStatements,
  tableName,
  tokenize,
  type BigQueryField,
  type Token,
} from './bigquery-sql.js';

export type { BigQueryField } from './bigquery-sql.js';

export interface BigQueryStandInOptions {
  /** The project served; default `mage-test`. */
  projectId?: string;
  /** Rows per page of query results when the request names no maxResults; default 100. */
  pageSize?: number;
  /** How many polls (jobs.get, getQueryResults) a job answers RUNNING before DONE; default 1. */
  runningPolls?: number;
  /** Lifetime of issued access tokens; default 3600 s. */
  tokenLifetimeSeconds?: number;
}

/** A planned job failure: the next `times` jobs (of a kind) end DONE with this errorResult, having done nothing. */
export interface BigQueryJobFault {
  reason: string;
  message?: string;
  kind?: 'query' | 'load';
  times?: number;
}

interface JobRecord {
  resource: Record<string, unknown>;
  pollsLeft: number;
  kind: 'query' | 'load';
  result?: { schema: { fields: BigQueryField[] }; rows: unknown[]; affected?: number };
  error?: { reason: string; message: string };
}

interface TableEntry {
  fields: BigQueryField[];
  meta: Record<string, unknown>;
}

const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
/** Flexible column names (letters, marks, numbers, connectors, dashes, spaces and a few symbols), at most 300 characters. */
const COLUMN_NAME = /^[\p{L}\p{M}\p{N}\p{Pc}\p{Pd}\p{Zs}&%=+:'<>#|]{1,300}$/u;
/** Prefixes BigQuery keeps for itself in column names. */
const RESERVED_PREFIX = /^(_TABLE_|_FILE_|_PARTITION|_ROW_TIMESTAMP|__ROOT__|_COLIDENTIFIER)/i;
const STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ALREADY_EXISTS',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};

/** An error answer in BigQuery's envelope: `bigQueryErrorResponse(503, 'backendError')` for a planned fault. */
export function bigQueryErrorResponse(code: number, reason: string, message = reason): StandInResponse {
  return {
    status: code,
    body: { error: { code, message, errors: [{ message, domain: 'global', reason }], status: STATUS[code] ?? 'UNKNOWN' } },
  };
}

const b64url = (text: string) => Buffer.from(text, 'base64url');

/** The running stand-in: `url` is the client's `apiEndpoint`, `credentials()` a service account key for it. */
export class BigQueryStandIn extends VendorStandIn {
  readonly projectId: string;
  readonly clientEmail = 'loader@mage-test.iam.gserviceaccount.com';
  /** Tokens issued, with their expiry (ms); tests may expire one. */
  readonly tokens = new Map<string, number>();
  /** Every statement the stand-in ran, as sent (scripts split), for tests to inspect. */
  readonly statements: string[] = [];
  private readonly keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  private readonly keyId = randomBytes(8).toString('hex');
  private readonly jobs = new Map<string, JobRecord>();
  private readonly datasets = new Map<string, Record<string, unknown>>();
  private readonly tables = new Map<string, TableEntry>();
  private readonly jobFaults: (BigQueryJobFault & { left: number })[] = [];
  private readonly pageSize: number;
  private readonly runningPolls: number;
  private readonly tokenLifetime: number;
  private engine!: DuckEngine;
  private inTransaction = false;

  private constructor(options: BigQueryStandInOptions) {
    super();
    this.projectId = options.projectId ?? 'mage-test';
    this.pageSize = options.pageSize ?? 100;
    this.runningPolls = options.runningPolls ?? 1;
    this.tokenLifetime = options.tokenLifetimeSeconds ?? 3600;
  }

  static async start(options: BigQueryStandInOptions = {}): Promise<BigQueryStandIn> {
    const standIn = new BigQueryStandIn(options);
    standIn.engine = await DuckEngine.start();
    standIn.server = await StandInServer.start((request) => standIn.handle(request), {
      headers: () => ({ 'x-goog-request-id': randomUUID() }),
    });
    return standIn;
  }

  override async close(): Promise<void> {
    await super.close();
    this.engine.close();
  }

  /** A service account key (the JSON a console download holds) whose `token_uri` is this stand-in. */
  credentials(): Record<string, string> {
    return {
      type: 'service_account',
      project_id: this.projectId,
      private_key_id: this.keyId,
      private_key: this.keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      client_email: this.clientEmail,
      client_id: '100000000000000000001',
      auth_uri: `${this.url}/o/oauth2/auth`,
      token_uri: `${this.url}/token`,
    };
  }

  /** Plans job failures: the next `times` (default 1) jobs end DONE with `reason` in errorResult. */
  failJobs(fault: BigQueryJobFault): void {
    this.jobFaults.push({ ...fault, left: fault.times ?? 1 });
  }

  /** A table's BigQuery schema, or undefined. */
  schema(dataset: string, table: string): BigQueryField[] | undefined {
    return this.tables.get(`${dataset}.${table}`)?.fields;
  }

  /** Names of the tables in a dataset. */
  tableNames(dataset: string): string[] {
    return [...this.tables.keys()].filter((k) => k.startsWith(`${dataset}.`)).map((k) => k.slice(dataset.length + 1));
  }

  /**
   * A table's rows as plain values: numbers and timestamps as exact text (TIMESTAMP as ISO UTC with µs), JSON parsed
   * exactly, BYTES as base64, REPEATED as arrays.
   */
  async rows(dataset: string, table: string): Promise<Record<string, unknown>[]> {
    const entry = this.tables.get(`${dataset}.${table}`);
    if (!entry) throw new Error(`the stand-in has no table ${dataset}.${table}`);
    const list = entry.fields
      .map((f) => (f.type === 'BYTES' && f.mode !== 'REPEATED' ? `to_base64("${f.name}") AS "${f.name}"` : `"${f.name}"`))
      .join(', ');
    const reader = await this.serial(() => this.engine.db.runAndReadAll(`SELECT ${list} FROM "${dataset}"."${table}"`));
    return (reader.getRowObjectsJson() as Record<string, unknown>[]).map((row) => {
      const out: Record<string, unknown> = {};
      for (const field of entry.fields) {
        const value = row[field.name];
        out[field.name] = value === null || value === undefined ? null : plainValue(field, value);
      }
      return out;
    });
  }

  private serial<T>(run: () => Promise<T>): Promise<T> {
    return this.engine.serial(run);
  }

  private async handle(request: StandInRequest): Promise<StandInResponse> {
    const path = request.url.pathname;
    if (path === '/token' && request.method === 'POST') return this.token(request);
    const auth = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''));
    const expiry = auth ? this.tokens.get(auth[1] as string) : undefined;
    if (expiry === undefined || expiry < Date.now()) {
      return {
        status: 401,
        headers: { 'www-authenticate': 'Bearer realm="https://accounts.google.com/"' },
        body: {
          error: {
            code: 401,
            message:
              'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
            errors: [
              { message: 'Invalid Credentials', domain: 'global', reason: 'authError', location: 'Authorization', locationType: 'header' },
            ],
            status: 'UNAUTHENTICATED',
          },
        },
      };
    }
    try {
      return await this.route(request, path);
    } catch (error) {
      if (error instanceof GoogleSqlError)
        return bigQueryErrorResponse(error.reason === 'notFound' ? 404 : 400, error.reason, error.message);
      throw error;
    }
  }

  private async route(request: StandInRequest, path: string): Promise<StandInResponse> {
    const m = /^\/(upload\/)?bigquery\/v2\/projects\/([^/]+)(\/.*)?$/.exec(path);
    if (!m) return bigQueryErrorResponse(404, 'notFound', `Not found: ${path}`);
    const [, upload, project, rest = ''] = m as unknown as [string, string | undefined, string, string | undefined];
    if (decodeURIComponent(project) !== this.projectId)
      return bigQueryErrorResponse(404, 'notFound', `Not found: Project ${decodeURIComponent(project)}`);
    const parts = rest.split('/').filter(Boolean).map(decodeURIComponent);
    const body = () => (request.body ? (JSON.parse(request.body) as Record<string, unknown>) : {});
    const method = request.method;
    if (upload) {
      if (parts[0] !== 'jobs' || method !== 'POST') return bigQueryErrorResponse(404, 'notFound', `Not found: ${path}`);
      return this.uploadJob(request);
    }
    if (parts[0] === 'datasets') {
      if (parts.length === 1 && method === 'POST') return this.insertDataset(body());
      const dataset = parts[1] as string;
      if (parts.length === 2) {
        if (method === 'GET') {
          const resource = this.datasets.get(dataset);
          return resource
            ? { status: 200, body: resource }
            : bigQueryErrorResponse(404, 'notFound', `Not found: Dataset ${this.projectId}:${dataset}`);
        }
        if (method === 'DELETE') return this.deleteDataset(dataset, request.url.searchParams.get('deleteContents') === 'true');
      }
      if (parts[2] === 'tables') {
        if (!this.datasets.has(dataset)) return bigQueryErrorResponse(404, 'notFound', `Not found: Dataset ${this.projectId}:${dataset}`);
        if (parts.length === 3 && method === 'POST') return this.insertTable(dataset, body());
        if (parts.length === 3 && method === 'GET') return this.listTables(dataset, request.url.searchParams);
        const table = parts[3] as string;
        if (parts.length === 4) {
          if (method === 'GET') return this.getTable(dataset, table);
          if (method === 'PATCH' || method === 'PUT') return this.patchTable(dataset, table, body());
          if (method === 'DELETE') return this.deleteTable(dataset, table);
        }
      }
    }
    if (parts[0] === 'jobs') {
      if (parts.length === 1 && method === 'POST') return this.insertJob(body());
      if (parts.length === 2 && method === 'GET') return this.getJob(parts[1] as string);
    }
    if (parts[0] === 'queries') {
      if (parts.length === 1 && method === 'POST') return this.jobsQuery(body());
      if (parts.length === 2 && method === 'GET') return this.getQueryResults(parts[1] as string, request.url.searchParams);
    }
    return bigQueryErrorResponse(404, 'notFound', `Not found: ${method} ${path}`);
  }

  // --- OAuth: the JWT-bearer grant (developers.google.com/identity/protocols/oauth2/service-account#httprest) ---

  private token(request: StandInRequest): StandInResponse {
    const form = new URLSearchParams(request.body);
    const fail = (description: string, error = 'invalid_grant') => ({ status: 400, body: { error, error_description: description } });
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer')
      return fail('Invalid grant_type', 'unsupported_grant_type');
    const parts = (form.get('assertion') ?? '').split('.');
    if (parts.length !== 3) return fail('Invalid JWT: Token must be a short-lived token and in a reasonable timeframe');
    const [headerText, payloadText, signature] = parts as [string, string, string];
    let header: Record<string, unknown>;
    let payload: Record<string, unknown>;
    try {
      header = JSON.parse(b64url(headerText).toString('utf8')) as Record<string, unknown>;
      payload = JSON.parse(b64url(payloadText).toString('utf8')) as Record<string, unknown>;
    } catch {
      return fail('Invalid JWT: malformed');
    }
    if (header['alg'] !== 'RS256') return fail('Invalid JWT: algorithm must be RS256');
    const ok = verify('RSA-SHA256', Buffer.from(`${headerText}.${payloadText}`), this.keys.publicKey, b64url(signature));
    if (!ok) return fail('Invalid JWT Signature.');
    if (payload['iss'] !== this.clientEmail) return fail('Invalid JWT: unknown issuer', 'invalid_client');
    if (payload['aud'] !== GOOGLE_TOKEN_URL && payload['aud'] !== `${this.url}/token`) return fail('Invalid JWT: audience');
    const scopes = String(payload['scope'] ?? '').split(' ');
    if (!scopes.some((s) => s === 'https://www.googleapis.com/auth/bigquery' || s === 'https://www.googleapis.com/auth/cloud-platform'))
      return fail('Invalid JWT: no BigQuery scope', 'invalid_scope');
    const now = Date.now() / 1000;
    const iat = Number(payload['iat']);
    const exp = Number(payload['exp']);
    if (!(iat <= now + 60 && exp > now && exp - iat <= 3600))
      return fail('Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.');
    const token = `ya29.stand-in-${randomBytes(16).toString('hex')}`;
    this.tokens.set(token, Date.now() + this.tokenLifetime * 1000);
    return { status: 200, body: { access_token: token, expires_in: this.tokenLifetime, token_type: 'Bearer' } };
  }

  // --- datasets and tables ---

  private datasetResource(dataset: string, location: string): Record<string, unknown> {
    return {
      kind: 'bigquery#dataset',
      id: `${this.projectId}:${dataset}`,
      datasetReference: { projectId: this.projectId, datasetId: dataset },
      location,
      creationTime: String(Date.now()),
    };
  }

  private async insertDataset(body: Record<string, unknown>): Promise<StandInResponse> {
    const ref = (body['datasetReference'] ?? {}) as { datasetId?: string };
    const dataset = ref.datasetId;
    if (!dataset || !/^[A-Za-z0-9_]{1,1024}$/.test(dataset))
      return bigQueryErrorResponse(400, 'invalid', `Invalid dataset ID "${dataset}".`);
    if (this.datasets.has(dataset)) return bigQueryErrorResponse(409, 'duplicate', `Already Exists: Dataset ${this.projectId}:${dataset}`);
    await this.serial(() => this.engine.db.run(`CREATE SCHEMA "${dataset}"`));
    const resource = this.datasetResource(dataset, String(body['location'] ?? 'US'));
    this.datasets.set(dataset, resource);
    return { status: 200, body: resource };
  }

  private async deleteDataset(dataset: string, contents: boolean): Promise<StandInResponse> {
    if (!this.datasets.has(dataset)) return bigQueryErrorResponse(404, 'notFound', `Not found: Dataset ${this.projectId}:${dataset}`);
    if (this.tableNames(dataset).length > 0 && !contents)
      return bigQueryErrorResponse(400, 'resourceInUse', `Dataset ${this.projectId}:${dataset} is still in use`);
    await this.serial(() => this.engine.db.run(`DROP SCHEMA "${dataset}" CASCADE`));
    for (const name of this.tableNames(dataset)) this.tables.delete(`${dataset}.${name}`);
    this.datasets.delete(dataset);
    return { status: 204 };
  }

  private tableResource(dataset: string, table: string, entry: TableEntry, rows?: number): Record<string, unknown> {
    return {
      kind: 'bigquery#table',
      id: `${this.projectId}:${dataset}.${table}`,
      tableReference: { projectId: this.projectId, datasetId: dataset, tableId: table },
      type: 'TABLE',
      schema: { fields: entry.fields.map((f) => ({ ...f, type: f.type })) },
      ...(rows === undefined ? {} : { numRows: String(rows) }),
      location: this.datasets.get(dataset)?.['location'] ?? 'US',
      ...entry.meta,
    };
  }

  private checkFields(fields: unknown): BigQueryField[] {
    if (!Array.isArray(fields)) throw new GoogleSqlError('invalid', 'Schema has no fields.');
    const seen = new Set<string>();
    return fields.map((f: { name?: string; type?: string; mode?: string }) => {
      const type = googleSqlType(String(f.type ?? ''));
      if (!f.name || !COLUMN_NAME.test(f.name) || RESERVED_PREFIX.test(f.name))
        throw new GoogleSqlError('invalid', `Invalid field name "${f.name}".`);
      if (!type)
        throw new GoogleSqlError('invalid', `Invalid value for type: ${f.type} is not a valid value (or not one the stand-in has)`);
      if (seen.has(f.name.toLowerCase())) throw new GoogleSqlError('invalid', `Field ${f.name} already exists in schema`);
      seen.add(f.name.toLowerCase());
      const mode = (f.mode ?? 'NULLABLE').toUpperCase();
      if (!['NULLABLE', 'REQUIRED', 'REPEATED'].includes(mode)) throw new GoogleSqlError('invalid', `Invalid mode ${f.mode}`);
      return { name: f.name, type, mode: mode as BigQueryField['mode'] };
    });
  }

  private async createTable(dataset: string, table: string, fields: BigQueryField[], meta: Record<string, unknown>): Promise<void> {
    const columns = fields.map((f) => `"${f.name}" ${duckdbType(f)}${f.mode === 'REQUIRED' ? ' NOT NULL' : ''}`).join(', ');
    await this.engine.db.run(`CREATE TABLE "${dataset}"."${table}" (${columns})`);
    this.tables.set(`${dataset}.${table}`, { fields, meta });
  }

  private async insertTable(dataset: string, body: Record<string, unknown>): Promise<StandInResponse> {
    const ref = (body['tableReference'] ?? {}) as { tableId?: string };
    const table = ref.tableId;
    if (!table) return bigQueryErrorResponse(400, 'invalid', 'Missing tableReference.tableId');
    if (this.tables.has(`${dataset}.${table}`))
      return bigQueryErrorResponse(409, 'duplicate', `Already Exists: Table ${this.projectId}:${dataset}.${table}`);
    const fields = this.checkFields((body['schema'] as { fields?: unknown } | undefined)?.fields ?? []);
    const meta = pick(body, ['expirationTime', 'timePartitioning', 'clustering', 'description', 'labels', 'tableConstraints']);
    await this.serial(() => this.createTable(dataset, table, fields, meta));
    return { status: 200, body: this.tableResource(dataset, table, this.tables.get(`${dataset}.${table}`) as TableEntry, 0) };
  }

  /** tables.list: the dataset's tables by name, `maxResults` (default 50) per page, `pageToken` to go on. */
  private listTables(dataset: string, params: URLSearchParams): StandInResponse {
    const names = this.tableNames(dataset).sort();
    const start = Number(params.get('pageToken') ?? 0);
    const max = Number(params.get('maxResults') ?? 50);
    return {
      status: 200,
      body: {
        kind: 'bigquery#tableList',
        totalItems: names.length,
        tables: names.slice(start, start + max).map((table) => ({
          kind: 'bigquery#table',
          id: `${this.projectId}:${dataset}.${table}`,
          tableReference: { projectId: this.projectId, datasetId: dataset, tableId: table },
          type: 'TABLE',
        })),
        ...(start + max < names.length ? { nextPageToken: String(start + max) } : {}),
      },
    };
  }

  private async getTable(dataset: string, table: string): Promise<StandInResponse> {
    const entry = this.tables.get(`${dataset}.${table}`);
    if (!entry) return bigQueryErrorResponse(404, 'notFound', `Not found: Table ${this.projectId}:${dataset}.${table}`);
    const count = await this.serial(() => this.engine.db.runAndReadAll(`SELECT count(*) AS n FROM "${dataset}"."${table}"`));
    return { status: 200, body: this.tableResource(dataset, table, entry, Number((count.getRowObjectsJson()[0] as { n: string }).n)) };
  }

  /** tables.patch: metadata replaced, and the schema may only gain NULLABLE/REPEATED columns (as BigQuery allows). */
  private async patchTable(dataset: string, table: string, body: Record<string, unknown>): Promise<StandInResponse> {
    const entry = this.tables.get(`${dataset}.${table}`);
    if (!entry) return bigQueryErrorResponse(404, 'notFound', `Not found: Table ${this.projectId}:${dataset}.${table}`);
    const schema = body['schema'] as { fields?: unknown } | undefined;
    if (schema) {
      const fields = this.checkFields(schema.fields);
      for (const old of entry.fields) {
        const now = fields.find((f) => f.name.toLowerCase() === old.name.toLowerCase());
        if (!now)
          return bigQueryErrorResponse(
            400,
            'invalid',
            `Provided Schema does not match Table ${this.projectId}:${dataset}.${table}. Field ${old.name} is missing in new schema`,
          );
        if (now.type !== old.type)
          return bigQueryErrorResponse(
            400,
            'invalid',
            `Provided Schema does not match Table ${this.projectId}:${dataset}.${table}. Field ${old.name} has changed type from ${old.type} to ${now.type}`,
          );
      }
      const added = fields.filter((f) => !entry.fields.some((o) => o.name.toLowerCase() === f.name.toLowerCase()));
      if (added.some((f) => f.mode === 'REQUIRED'))
        return bigQueryErrorResponse(400, 'invalid', 'Cannot add required fields to an existing schema.');
      await this.serial(async () => {
        for (const f of added) await this.engine.db.run(`ALTER TABLE "${dataset}"."${table}" ADD COLUMN "${f.name}" ${duckdbType(f)}`);
      });
      entry.fields.push(...added);
    }
    Object.assign(entry.meta, pick(body, ['expirationTime', 'description', 'labels', 'clustering']));
    return this.getTable(dataset, table);
  }

  private async deleteTable(dataset: string, table: string): Promise<StandInResponse> {
    if (!this.tables.has(`${dataset}.${table}`))
      return bigQueryErrorResponse(404, 'notFound', `Not found: Table ${this.projectId}:${dataset}.${table}`);
    await this.serial(() => this.engine.db.run(`DROP TABLE "${dataset}"."${table}"`));
    this.tables.delete(`${dataset}.${table}`);
    return { status: 204 };
  }

  // --- jobs ---

  private newJob(kind: 'query' | 'load', body: Record<string, unknown>): JobRecord | StandInResponse {
    const ref = (body['jobReference'] ?? {}) as { jobId?: string; location?: string };
    const jobId = ref.jobId ?? `job_${randomUUID().replace(/-/g, '')}`;
    if (!/^[A-Za-z0-9_-]{1,1024}$/.test(jobId)) return bigQueryErrorResponse(400, 'invalid', `Invalid job ID "${jobId}".`);
    if (this.jobs.has(jobId))
      return bigQueryErrorResponse(409, 'duplicate', `Already Exists: Job ${this.projectId}:${ref.location ?? 'US'}.${jobId}`);
    const location = ref.location ?? String(body['location'] ?? 'US');
    const record: JobRecord = {
      kind,
      pollsLeft: this.runningPolls,
      resource: {
        kind: 'bigquery#job',
        id: `${this.projectId}:${location}.${jobId}`,
        jobReference: { projectId: this.projectId, jobId, location },
        configuration: { ...(body['configuration'] as object), jobType: kind === 'query' ? 'QUERY' : 'LOAD' },
        status: { state: 'RUNNING' },
        statistics: { creationTime: String(Date.now()), startTime: String(Date.now()) },
        user_email: this.clientEmail,
      },
    };
    this.jobs.set(jobId, record);
    return record;
  }

  private takeJobFault(kind: 'query' | 'load'): BigQueryJobFault | undefined {
    const index = this.jobFaults.findIndex((f) => f.kind === undefined || f.kind === kind);
    const fault = this.jobFaults[index];
    if (!fault) return undefined;
    if (--fault.left <= 0) this.jobFaults.splice(index, 1);
    return fault;
  }

  private finish(record: JobRecord, error?: { reason: string; message: string }): void {
    if (error) record.error = error;
    const statistics = record.resource['statistics'] as Record<string, unknown>;
    statistics['endTime'] = String(Date.now());
    if (record.kind === 'query') {
      statistics['query'] = {
        totalBytesProcessed: '0',
        totalBytesBilled: '0',
        ...(record.result?.affected !== undefined ? { numDmlAffectedRows: String(record.result.affected) } : {}),
      };
    } else {
      statistics['load'] = { outputRows: String(record.result?.affected ?? 0) };
    }
  }

  /** The job as jobs.get shows it: RUNNING for the first polls, then DONE (with its errors). */
  private jobView(record: JobRecord, poll: boolean): Record<string, unknown> {
    const done = record.pollsLeft <= 0;
    if (poll && record.pollsLeft > 0) record.pollsLeft--;
    const status = done
      ? {
          state: 'DONE',
          ...(record.error
            ? {
                errorResult: { ...record.error, location: record.error.reason === 'invalidQuery' ? 'query' : undefined },
                errors: [record.error],
              }
            : {}),
        }
      : { state: 'RUNNING' };
    return { ...record.resource, status };
  }

  private async insertJob(body: Record<string, unknown>): Promise<StandInResponse> {
    const configuration = (body['configuration'] ?? {}) as Record<string, unknown>;
    if (configuration['load'])
      return bigQueryErrorResponse(
        400,
        'invalid',
        'the stand-in loads uploaded files only (the upload endpoint); sourceUris (gs://) are not served',
      );
    const query = configuration['query'] as { query?: string; useLegacySql?: boolean } | undefined;
    if (!query?.query) return bigQueryErrorResponse(400, 'invalid', 'Required parameter is missing: configuration.query.query');
    if (query.useLegacySql === true)
      return bigQueryErrorResponse(400, 'invalid', 'the stand-in speaks GoogleSQL only (useLegacySql: false)');
    if (configuration['dryRun'] === true) return this.dryRun(body, query.query);
    const record = this.newJob('query', body);
    if (!('resource' in record)) return record;
    await this.runQueryJob(record, query.query);
    return { status: 200, body: this.jobView(record, false) };
  }

  /** A dry run: a query's result schema without running it (SELECT only), as jobs.insert with `dryRun` answers. */
  private async dryRun(body: Record<string, unknown>, sql: string): Promise<StandInResponse> {
    const statements = splitStatements(tokenize(sql));
    const first = statements[0];
    if (statements.length !== 1 || !first || !['SELECT', 'WITH'].includes(shape(first)[0] as string))
      return bigQueryErrorResponse(400, 'invalidQuery', 'the stand-in dry-runs single SELECT statements only');
    try {
      const reader = await this.serial(() => this.engine.db.runAndReadAll(`SELECT * FROM (${renderDuckdb(first)}) AS q LIMIT 0`));
      const { schema } = this.resultOf(reader, first);
      return {
        status: 200,
        body: {
          kind: 'bigquery#job',
          jobReference: {
            projectId: this.projectId,
            location: String((body['jobReference'] as { location?: string } | undefined)?.location ?? 'US'),
          },
          configuration: { ...(body['configuration'] as object), jobType: 'QUERY' },
          status: { state: 'DONE' },
          statistics: { totalBytesProcessed: '0', query: { totalBytesProcessed: '0', schema, statementType: 'SELECT' } },
        },
      };
    } catch (error) {
      const missing = /does not exist/i.test(String(error));
      return bigQueryErrorResponse(missing ? 404 : 400, missing ? 'notFound' : 'invalidQuery', (error as Error).message);
    }
  }

  private async runQueryJob(record: JobRecord, sql: string): Promise<void> {
    const fault = this.takeJobFault('query');
    if (fault) return this.finish(record, { reason: fault.reason, message: fault.message ?? `stand-in planned failure: ${fault.reason}` });
    try {
      record.result = await this.serial(() => this.runScript(sql));
      this.finish(record);
    } catch (error) {
      const reason =
        error instanceof GoogleSqlError ? error.reason : /does not exist|not found/i.test(String(error)) ? 'notFound' : 'invalidQuery';
      this.finish(record, { reason, message: error instanceof Error ? error.message : String(error) });
    }
  }

  private getJob(jobId: string): StandInResponse {
    const record = this.jobs.get(jobId);
    if (!record) return bigQueryErrorResponse(404, 'notFound', `Not found: Job ${this.projectId}:${jobId}`);
    return { status: 200, body: this.jobView(record, true) };
  }

  private async jobsQuery(body: Record<string, unknown>): Promise<StandInResponse> {
    if (body['useLegacySql'] === true)
      return bigQueryErrorResponse(400, 'invalid', 'the stand-in speaks GoogleSQL only (useLegacySql: false)');
    const sql = body['query'];
    if (typeof sql !== 'string') return bigQueryErrorResponse(400, 'invalid', 'Required parameter is missing: query');
    const record = this.newJob('query', { jobReference: { location: body['location'] } });
    if (!('resource' in record)) return record;
    await this.runQueryJob(record, sql);
    if (record.error) {
      this.jobs.delete(String((record.resource['jobReference'] as { jobId: string }).jobId));
      return bigQueryErrorResponse(record.error.reason === 'notFound' ? 404 : 400, record.error.reason, record.error.message);
    }
    const format = (body['formatOptions'] ?? {}) as { useInt64Timestamp?: boolean };
    return {
      status: 200,
      body: this.resultPage(
        record,
        Number(body['maxResults'] ?? this.pageSize),
        0,
        format.useInt64Timestamp === true,
        'bigquery#queryResponse',
        false,
      ),
    };
  }

  private getQueryResults(jobId: string, params: URLSearchParams): StandInResponse {
    const record = this.jobs.get(jobId);
    if (record?.kind !== 'query') return bigQueryErrorResponse(404, 'notFound', `Not found: Job ${this.projectId}:${jobId}`);
    const start = Number(params.get('pageToken') ?? params.get('startIndex') ?? 0);
    const max = Number(params.get('maxResults') ?? this.pageSize);
    if (record.pollsLeft <= 0 && record.error) return bigQueryErrorResponse(400, record.error.reason, record.error.message);
    return {
      status: 200,
      body: this.resultPage(
        record,
        max,
        start,
        params.get('formatOptions.useInt64Timestamp') === 'true',
        'bigquery#getQueryResultsResponse',
        true,
      ),
    };
  }

  private resultPage(
    record: JobRecord,
    max: number,
    start: number,
    int64Timestamps: boolean,
    kind: string,
    poll: boolean,
  ): Record<string, unknown> {
    const view = this.jobView(record, poll);
    const base = { kind, jobReference: record.resource['jobReference'] };
    if ((view['status'] as { state: string }).state !== 'DONE') return { ...base, jobComplete: false };
    const result = record.result as NonNullable<JobRecord['result']>;
    const rows = result.rows.slice(start, start + max).map((row) => encodeRow(result.schema.fields, row as unknown[], int64Timestamps));
    const next = start + max < result.rows.length ? String(start + max) : undefined;
    return {
      ...base,
      jobComplete: true,
      schema: result.schema,
      totalRows: String(result.rows.length),
      ...(rows.length > 0 ? { rows } : {}),
      ...(next ? { pageToken: next } : {}),
      ...(result.affected !== undefined ? { numDmlAffectedRows: String(result.affected) } : {}),
      totalBytesProcessed: '0',
      cacheHit: false,
    };
  }

  // --- load jobs through the multipart upload ---

  private async uploadJob(request: StandInRequest): Promise<StandInResponse> {
    if (request.url.searchParams.get('uploadType') !== 'multipart')
      return bigQueryErrorResponse(400, 'invalid', 'the stand-in takes uploadType=multipart uploads (the client library sends those)');
    const boundary = /boundary="?([^";]+)"?/.exec(String(request.headers['content-type'] ?? ''))?.[1];
    if (!boundary) return bigQueryErrorResponse(400, 'invalid', 'multipart upload without a boundary');
    const parts = multipartParts(request.raw, boundary);
    if (parts.length !== 2)
      return bigQueryErrorResponse(400, 'invalid', `multipart upload with ${parts.length} parts, expected metadata and media`);
    const body = JSON.parse((parts[0] as Buffer).toString('utf8')) as Record<string, unknown>;
    const load = ((body['configuration'] as Record<string, unknown> | undefined)?.['load'] ?? {}) as Record<string, unknown>;
    const record = this.newJob('load', body);
    if (!('resource' in record)) return record;
    const fault = this.takeJobFault('load');
    if (fault) this.finish(record, { reason: fault.reason, message: fault.message ?? `stand-in planned failure: ${fault.reason}` });
    else {
      try {
        const loaded = await this.serial(() => this.load(load, parts[1] as Buffer));
        record.result = { schema: { fields: [] }, rows: [], affected: loaded };
        this.finish(record);
      } catch (error) {
        const reason = error instanceof GoogleSqlError ? error.reason : 'invalid';
        this.finish(record, { reason, message: error instanceof Error ? error.message : String(error) });
      }
    }
    return { status: 200, body: this.jobView(record, false) };
  }

  private async load(load: Record<string, unknown>, media: Buffer): Promise<number> {
    const format = String(load['sourceFormat'] ?? 'CSV');
    if (format !== 'NEWLINE_DELIMITED_JSON')
      throw new GoogleSqlError('invalid', `the stand-in loads NEWLINE_DELIMITED_JSON only, not ${format}`);
    const ref = (load['destinationTable'] ?? {}) as { datasetId?: string; tableId?: string };
    const dataset = String(ref.datasetId);
    const table = String(ref.tableId);
    if (!this.datasets.has(dataset)) throw new GoogleSqlError('notFound', `Not found: Dataset ${this.projectId}:${dataset}`);
    const key = `${dataset}.${table}`;
    let entry = this.tables.get(key);
    const schemaFields = (load['schema'] as { fields?: unknown } | undefined)?.fields;
    if (!entry) {
      if (load['createDisposition'] === 'CREATE_NEVER') throw new GoogleSqlError('notFound', `Not found: Table ${this.projectId}:${key}`);
      if (!schemaFields) throw new GoogleSqlError('invalid', 'No schema specified on job or table (the stand-in does not autodetect).');
      await this.createTable(dataset, table, this.checkFields(schemaFields), {});
      entry = this.tables.get(key) as TableEntry;
    }
    const fields = entry.fields;
    const text = (media[0] === 0x1f && media[1] === 0x8b ? gunzipSync(media) : media).toString('utf8');
    const values: string[] = [];
    const errors: string[] = [];
    let offset = 0;
    for (const line of text.split('\n')) {
      const position = offset;
      offset += Buffer.byteLength(line) + 1;
      if (line.trim() === '') continue;
      try {
        values.push(`(${rowLiterals(fields, line).join(', ')})`);
      } catch (error) {
        errors.push(
          `Error while reading data, error message: JSON parsing error in row starting at position ${position}: ${(error as Error).message}`,
        );
        if (errors.length >= 5) break;
      }
    }
    if (errors.length > 0) throw new GoogleSqlError('invalid', errors.join('; '));
    const disposition = String(load['writeDisposition'] ?? 'WRITE_APPEND');
    if (disposition === 'WRITE_EMPTY') {
      const count = await this.engine.db.runAndReadAll(`SELECT count(*) AS n FROM "${dataset}"."${table}"`);
      if (Number((count.getRowObjectsJson()[0] as { n: string }).n) > 0)
        throw new GoogleSqlError('duplicate', `Already Exists: Table ${this.projectId}:${key} is not empty`);
    }
    await this.engine.db.run('BEGIN TRANSACTION');
    try {
      if (disposition === 'WRITE_TRUNCATE') await this.engine.db.run(`DELETE FROM "${dataset}"."${table}"`);
      const columns = fields.map((f) => `"${f.name}"`).join(', ');
      for (let i = 0; i < values.length; i += 500)
        await this.engine.db.run(`INSERT INTO "${dataset}"."${table}" (${columns}) VALUES ${values.slice(i, i + 500).join(', ')}`);
      await this.engine.db.run('COMMIT');
    } catch (error) {
      await this.engine.db.run('ROLLBACK');
      throw new GoogleSqlError('invalid', (error as Error).message);
    }
    return values.length;
  }

  // --- SQL ---

  /** Runs a script statement by statement; the result is the last statement's. A failure rolls back an open transaction. */
  private async runScript(sql: string): Promise<NonNullable<JobRecord['result']>> {
    const statements = splitStatements(tokenize(sql));
    if (statements.length === 0) throw new GoogleSqlError('invalidQuery', 'Syntax error: Unexpected end of script');
    let result: NonNullable<JobRecord['result']> = { schema: { fields: [] }, rows: [] };
    try {
      for (const statement of statements) result = await this.runStatement(statement);
      if (this.inTransaction)
        throw new GoogleSqlError('invalidQuery', 'Transaction started in this script was not committed or rolled back');
    } catch (error) {
      if (this.inTransaction) {
        this.inTransaction = false;
        await this.engine.db.run('ROLLBACK');
      }
      throw error;
    }
    return result;
  }

  private async runStatement(tokens: Token[]): Promise<NonNullable<JobRecord['result']>> {
    const words = shape(tokens);
    this.statements.push(
      tokens
        .map((t) => ('text' in t ? t.text : t.kind === 'ident' ? `\`${t.parts.join('.')}\`` : `'${t.value}'`))
        .join('')
        .trim(),
    );
    const empty = { schema: { fields: [] as BigQueryField[] }, rows: [] as unknown[] };
    const head = words.slice(0, 2).join(' ');
    if (words[0] === 'BEGIN') {
      if (this.inTransaction) throw new GoogleSqlError('invalidQuery', 'Nested transactions are not supported');
      await this.engine.db.run('BEGIN TRANSACTION');
      this.inTransaction = true;
      return empty;
    }
    if (words[0] === 'COMMIT' || words[0] === 'ROLLBACK') {
      if (!this.inTransaction) throw new GoogleSqlError('invalidQuery', `${words[0]} without a transaction`);
      this.inTransaction = false;
      await this.engine.db.run(words[0]);
      return empty;
    }
    const dml = ['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'SELECT', 'WITH'].includes(words[0] as string);
    if (this.inTransaction && !dml)
      throw new GoogleSqlError('invalidQuery', `${head} is not supported inside a multi-statement transaction (DML and queries only)`);
    if ((words[0] === 'UPDATE' || words[0] === 'DELETE') && !words.includes('WHERE'))
      throw new GoogleSqlError('invalidQuery', `${words[0]} must have a WHERE clause`);
    if (head === 'CREATE TABLE' || (words[0] === 'CREATE' && words.includes('TABLE') && words.indexOf('TABLE') <= 3))
      return this.createTableStatement(tokens, words);
    if (head === 'DROP TABLE') return this.dropTableStatement(tokens, words);
    if (head === 'ALTER TABLE') return this.alterTableStatement(tokens);
    if (head === 'CREATE SCHEMA' || head === 'DROP SCHEMA')
      throw new GoogleSqlError('invalidQuery', 'the stand-in makes datasets through the API (datasets.insert) only');
    if (!dml) throw new GoogleSqlError('invalidQuery', `the stand-in does not run ${head} statements`);
    const reader = await this.engine.db.runAndReadAll(renderDuckdb(tokens));
    if (words[0] === 'SELECT' || words[0] === 'WITH') return this.resultOf(reader, tokens);
    const count = reader.getRowsJson()[0]?.[0];
    return { ...empty, affected: count === undefined || count === null ? 0 : Number(count) };
  }

  /**
   * A query's result: its schema from DuckDB's column types, except that a text column named like a BIGNUMERIC or
   * JSON column of a table the statement names takes that type (the stand-in stores both as text).
   */
  private resultOf(reader: import('@duckdb/node-api').DuckDBResultReader, tokens: Token[] = []): NonNullable<JobRecord['result']> {
    const names = reader.columnNames();
    const named = this.referencedFields(tokens);
    const fields: BigQueryField[] = reader.columnTypes().map((type, i) => {
      const field = fieldOfDuckdb(names[i] as string, type as unknown as { toString(): string; alias?: string });
      const stored = named.get(field.name.toLowerCase());
      return field.type === 'STRING' && stored && (stored.type === 'BIGNUMERIC' || stored.type === 'JSON')
        ? { ...field, type: stored.type }
        : field;
    });
    const json = reader.getRowsJson() as unknown[][];
    const js = reader.getRowsJS() as unknown[][];
    const rows = json.map((row, r) =>
      row.map((value, i) => ((fields[i] as BigQueryField).type === 'BYTES' ? (js[r] as unknown[])[i] : value)),
    );
    return { schema: { fields }, rows };
  }

  /** The fields of the tables a statement names (`dataset.table`, quoted or not), by lower-case column name. */
  private referencedFields(tokens: Token[]): Map<string, BigQueryField> {
    const out = new Map<string, BigQueryField>();
    const solid = tokens.filter((t) => t.kind !== 'space');
    solid.forEach((t, i) => {
      let path: string[] | undefined;
      if (t.kind === 'ident' && t.parts.length >= 2) path = t.parts;
      const dot = solid[i + 1];
      const next = solid[i + 2];
      if (t.kind === 'ident' && dot?.kind === 'punct' && dot.text === '.' && next?.kind === 'ident') path = [...t.parts, ...next.parts];
      if (!path) return;
      const [dataset, table] = path.length === 3 ? path.slice(1) : path;
      for (const field of this.tables.get(`${dataset}.${table}`)?.fields ?? []) out.set(field.name.toLowerCase(), field);
    });
    return out;
  }

  private async createTableStatement(tokens: Token[], words: string[]): Promise<NonNullable<JobRecord['result']>> {
    if (words.includes('AS') && !words.includes('('))
      throw new GoogleSqlError('invalidQuery', 'the stand-in does not run CREATE TABLE … AS SELECT');
    const tableAt = tokens.findIndex((t) => t.kind === 'word' && t.text.toUpperCase() === 'TABLE');
    let at = tableAt;
    const ifNotExists = words.slice(0, 6).join(' ').includes('IF NOT EXISTS');
    if (ifNotExists) at = (nextSolid(tokens, nextSolid(tokens, nextSolid(tokens, at)?.index ?? at)?.index ?? at)?.index ?? at) as number;
    const name = tableName(tokens, (nextSolid(tokens, at)?.index ?? at) as number);
    const open = tokens.findIndex((t, i) => i >= name.end && t.kind === 'punct' && t.text === '(');
    if (open < 0) throw new GoogleSqlError('invalidQuery', 'Syntax error: expected a column list');
    const close = matchingParen(tokens, open);
    const key = `${name.dataset}.${name.table}`;
    if (!this.datasets.has(name.dataset)) throw new GoogleSqlError('notFound', `Not found: Dataset ${this.projectId}:${name.dataset}`);
    const replace = words[1] === 'OR' && words[2] === 'REPLACE';
    if (this.tables.has(key)) {
      if (ifNotExists) return { schema: { fields: [] }, rows: [] };
      if (!replace) throw new GoogleSqlError('duplicate', `Already Exists: Table ${this.projectId}:${key}`);
      await this.engine.db.run(`DROP TABLE "${name.dataset}"."${name.table}"`);
      this.tables.delete(key);
    }
    const fields: BigQueryField[] = [];
    const meta: Record<string, unknown> = {};
    for (const definition of splitColumns(tokens.slice(open + 1, close))) {
      const solid = definition.filter((t) => t.kind !== 'space');
      const first = solid[0];
      if (!first) continue;
      if (first.kind === 'word' && first.text.toUpperCase() === 'PRIMARY') {
        const s = shape(definition);
        if (s[s.length - 2] !== 'NOT' || s[s.length - 1] !== 'ENFORCED')
          throw new GoogleSqlError('invalidQuery', 'PRIMARY KEY must be NOT ENFORCED');
        const keys = definition.filter(
          (t) => t.kind === 'ident' || (t.kind === 'word' && !['PRIMARY', 'KEY', 'NOT', 'ENFORCED'].includes(t.text.toUpperCase())),
        );
        meta['tableConstraints'] = {
          primaryKey: { columns: keys.map((t) => (t.kind === 'ident' ? t.parts.join('.') : (t as { text: string }).text)) },
        };
        continue;
      }
      fields.push(columnDefinition(definition));
    }
    const tail = shape(tokens.slice(close + 1));
    if (tail.includes('PARTITION'))
      meta['timePartitioning'] = { type: tail.find((w) => ['HOUR', 'DAY', 'MONTH', 'YEAR'].includes(w)) ?? 'DAY' };
    if (tail.includes('CLUSTER'))
      meta['clustering'] = {
        fields: tokens
          .slice(close + 1)
          .filter((t) => t.kind === 'ident')
          .map((t) => (t as { parts: string[] }).parts.join('.'))
          .slice(-4),
      };
    await this.createTable(name.dataset, name.table, this.checkFields(fields), meta);
    return { schema: { fields: [] }, rows: [] };
  }

  private async dropTableStatement(tokens: Token[], words: string[]): Promise<NonNullable<JobRecord['result']>> {
    const ifExists = words[2] === 'IF' && words[3] === 'EXISTS';
    const start = tokens.findIndex(
      (t) => t.kind === 'ident' || (t.kind === 'word' && !['DROP', 'TABLE', 'IF', 'EXISTS'].includes(t.text.toUpperCase())),
    );
    const name = tableName(tokens, start);
    const key = `${name.dataset}.${name.table}`;
    if (!this.tables.has(key)) {
      if (ifExists) return { schema: { fields: [] }, rows: [] };
      throw new GoogleSqlError('notFound', `Not found: Table ${this.projectId}:${key}`);
    }
    await this.engine.db.run(`DROP TABLE "${name.dataset}"."${name.table}"`);
    this.tables.delete(key);
    return { schema: { fields: [] }, rows: [] };
  }

  private async alterTableStatement(tokens: Token[]): Promise<NonNullable<JobRecord['result']>> {
    const start = tokens.findIndex((t) => t.kind === 'ident' || (t.kind === 'word' && !['ALTER', 'TABLE'].includes(t.text.toUpperCase())));
    const name = tableName(tokens, start);
    const key = `${name.dataset}.${name.table}`;
    const entry = this.tables.get(key);
    if (!entry) throw new GoogleSqlError('notFound', `Not found: Table ${this.projectId}:${key}`);
    const rest = tokens.slice(name.end);
    const action = shape(rest);
    const target = `"${name.dataset}"."${name.table}"`;
    const identAt = (n: number) => {
      const idents = rest.filter(
        (t) =>
          t.kind === 'ident' ||
          (t.kind === 'word' &&
            !['ADD', 'COLUMN', 'IF', 'NOT', 'EXISTS', 'ALTER', 'SET', 'DATA', 'TYPE', 'DROP', 'RENAME', 'TO', 'OPTIONS'].includes(
              t.text.toUpperCase(),
            )),
      );
      const t = idents[n];
      return t?.kind === 'ident' ? t.parts.join('.') : t?.kind === 'word' ? t.text : '';
    };
    const find = (column: string) => entry.fields.find((f) => f.name.toLowerCase() === column.toLowerCase());
    const empty = { schema: { fields: [] as BigQueryField[] }, rows: [] as unknown[] };
    if (action[0] === 'SET' && action[1] === 'OPTIONS') return empty;
    if (action[0] === 'ADD' && action[1] === 'COLUMN') {
      const ifNotExists = action[2] === 'IF';
      const definitionStart = rest.findIndex(
        (t) => t.kind === 'ident' || (t.kind === 'word' && !['ADD', 'COLUMN', 'IF', 'NOT', 'EXISTS'].includes(t.text.toUpperCase())),
      );
      const field = columnDefinition(rest.slice(definitionStart));
      if (field.mode === 'REQUIRED')
        throw new GoogleSqlError('invalidQuery', `Cannot add a REQUIRED column ${field.name} to an existing table`);
      if (find(field.name)) {
        if (ifNotExists) return empty;
        throw new GoogleSqlError('invalidQuery', `Column already exists: ${field.name}`);
      }
      const [checked] = this.checkFields([field]) as [BigQueryField];
      await this.engine.db.run(`ALTER TABLE ${target} ADD COLUMN "${checked.name}" ${duckdbType(checked)}`);
      entry.fields.push(checked);
      return empty;
    }
    if (action[0] === 'ALTER' && action[1] === 'COLUMN' && action.includes('SET')) {
      const column = find(identAt(0));
      if (!column) throw new GoogleSqlError('invalidQuery', `Column not found: ${identAt(0)}`);
      const typeAt = rest.findIndex((t) => t.kind === 'word' && t.text.toUpperCase() === 'TYPE');
      const to = columnDefinition([{ kind: 'word', text: column.name }, { kind: 'space', text: ' ' }, ...rest.slice(typeAt + 1)]);
      const allowed: Record<string, string[]> = { INT64: ['NUMERIC', 'BIGNUMERIC', 'FLOAT64'], NUMERIC: ['BIGNUMERIC', 'FLOAT64'] };
      if (column.mode === 'REPEATED' || to.mode === 'REPEATED' || (to.type !== column.type && !allowed[column.type]?.includes(to.type)))
        throw new GoogleSqlError(
          'invalidQuery',
          `ALTER TABLE ALTER COLUMN SET DATA TYPE requires that the existing column type (${column.type}) is assignable to the new type (${to.type})`,
        );
      await this.engine.db.run(
        `ALTER TABLE ${target} ALTER COLUMN "${column.name}" SET DATA TYPE ${duckdbType({ type: to.type, mode: column.mode })}`,
      );
      column.type = to.type;
      return empty;
    }
    if (action[0] === 'DROP' && action[1] === 'COLUMN') {
      const column = find(identAt(0));
      if (!column) {
        if (action[2] === 'IF') return empty;
        throw new GoogleSqlError('invalidQuery', `Column not found: ${identAt(0)}`);
      }
      await this.engine.db.run(`ALTER TABLE ${target} DROP COLUMN "${column.name}"`);
      entry.fields.splice(entry.fields.indexOf(column), 1);
      return empty;
    }
    if (action[0] === 'RENAME' && action[1] === 'COLUMN') {
      const column = find(identAt(0));
      const to = identAt(1);
      if (!column) throw new GoogleSqlError('invalidQuery', `Column not found: ${identAt(0)}`);
      if (find(to)) throw new GoogleSqlError('invalidQuery', `Column already exists: ${to}`);
      await this.engine.db.run(`ALTER TABLE ${target} RENAME COLUMN "${column.name}" TO "${to}"`);
      column.name = to;
      return empty;
    }
    throw new GoogleSqlError('invalidQuery', `the stand-in does not run ALTER TABLE ${action.slice(0, 2).join(' ')}`);
  }
}

/** Starts a BigQuery stand-in on 127.0.0.1 (DuckDB in memory behind it). */
export function startBigQueryStandIn(options: BigQueryStandInOptions = {}): Promise<BigQueryStandIn> {
  return BigQueryStandIn.start(options);
}

function pick(body: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => body[k] !== undefined).map((k) => [k, body[k]]));
}

/** A column list split at its top-level commas (ARRAY<…> nests like parentheses). */
function splitColumns(tokens: Token[]): Token[][] {
  return splitTopLevel(tokens, [
    ['(', ')'],
    ['<', '>'],
  ]);
}

/** `name TYPE [NOT NULL] [OPTIONS(…)]`, ARRAY<T> as REPEATED T. */
function columnDefinition(tokens: Token[]): BigQueryField {
  const solid = tokens.filter((t) => t.kind !== 'space');
  const first = solid[0];
  const name = first?.kind === 'ident' ? first.parts.join('.') : first?.kind === 'word' ? first.text : '';
  const words = shape(solid.slice(1));
  let mode: BigQueryField['mode'] = words.includes('NOT') && words.includes('NULL') ? 'REQUIRED' : 'NULLABLE';
  let typeWord = words[0] ?? '';
  if (typeWord === 'ARRAY') {
    mode = 'REPEATED';
    typeWord = words[2] ?? '';
  }
  const type = googleSqlType(typeWord);
  if (!type) throw new GoogleSqlError('invalidQuery', `Type not found: ${typeWord} (or not one the stand-in has)`);
  return { name, type, mode };
}

/** The parts of a multipart/related body (RFC 2046), headers cut off. */
function multipartParts(body: Buffer, boundary: string): Buffer[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Buffer[] = [];
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const part = body.subarray(start, next);
    const headerEnd = part.indexOf('\r\n\r\n');
    let content = part.subarray(headerEnd + 4);
    if (content.subarray(content.length - 2).toString() === '\r\n') content = content.subarray(0, content.length - 2);
    parts.push(content);
    at = next;
  }
  return parts;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DECIMAL_TEXT = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const TIMESTAMP_TEXT = /^\d{4}[-/]\d{1,2}[-/]\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?\s*(?:Z|UTC|[+-]\d{1,2}(?::?\d{2})?)?$/i;
const DATETIME_TEXT = /^\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?$/;
const DATE_TEXT = /^\d{4}-\d{1,2}-\d{1,2}$/;
const TIME_TEXT = /^\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?$/;

const sqlString = (text: string) => {
  if (text.includes('\0')) throw new Error('NUL characters cannot be stored by the stand-in');
  return `'${text.replace(/'/g, "''")}'`;
};

function numberText(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Decimal) return value.text;
  if (typeof value === 'string') return value.trim();
  return undefined;
}

/** A decimal's digits before and after the point (exponent applied); undefined when it is not a number. */
function decimalDigits(text: string): { integer: number; fraction: number } | undefined {
  const m = DECIMAL_TEXT.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  const exponent = Number(m[4] ?? 0);
  const integer = (m[2] ?? '').replace(/^0+/, '').length + exponent;
  const fraction = (m[3] ?? '').replace(/0+$/, '').length - exponent;
  return { integer: Math.max(0, integer), fraction: Math.max(0, fraction) };
}

/** One JSON value as a DuckDB literal for a column, checked as BigQuery's JSON load checks it. */
function scalarLiteral(field: BigQueryField, value: unknown): string {
  const bad = () =>
    new Error(
      `Could not convert value '${typeof value === 'string' ? value : JSON.stringify(value)}' to ${field.type}. Field: ${field.name}`,
    );
  switch (field.type) {
    case 'INT64': {
      const text = numberText(value);
      if (text === undefined || !/^[+-]?\d+$/.test(text)) throw bad();
      const n = BigInt(text);
      if (n < INT64_MIN || n > INT64_MAX) throw new Error(`Value ${text} is out of range for INT64. Field: ${field.name}`);
      return n.toString();
    }
    case 'NUMERIC':
    case 'BIGNUMERIC': {
      const text = numberText(value);
      const digits = text === undefined ? undefined : decimalDigits(text);
      if (text === undefined || !digits) throw bad();
      const [maxInteger, maxFraction] = field.type === 'NUMERIC' ? [29, 9] : [38, 38];
      if (digits.integer > maxInteger || digits.fraction > maxFraction)
        throw new Error(
          `Invalid ${field.type} value: ${text} (at most ${maxInteger} digits before the point and ${maxFraction} after). Field: ${field.name}`,
        );
      return sqlString(text);
    }
    case 'FLOAT64': {
      if (typeof value === 'string' && /^(NaN|[+-]?Infinity|[+-]?inf)$/i.test(value)) return `CAST(${sqlString(value)} AS DOUBLE)`;
      const text = numberText(value);
      if (text === undefined || !decimalDigits(text)) throw bad();
      return `CAST(${sqlString(text)} AS DOUBLE)`;
    }
    case 'BOOL':
      if (value === true || value === 'true' || value === 'TRUE' || value === 1) return 'TRUE';
      if (value === false || value === 'false' || value === 'FALSE' || value === 0) return 'FALSE';
      throw bad();
    case 'STRING':
      if (typeof value === 'object' && !(value instanceof Decimal)) throw bad();
      return sqlString(typeof value === 'string' ? value : (numberText(value) ?? String(value)));
    case 'BYTES':
      if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 === 1) throw bad();
      return `from_base64(${sqlString(value)})`;
    case 'TIMESTAMP':
      if (typeof value === 'number' || typeof value === 'bigint' || value instanceof Decimal) return `to_timestamp(${numberText(value)})`;
      if (typeof value !== 'string' || !TIMESTAMP_TEXT.test(value.trim())) throw bad();
      return `CAST(${sqlString(
        value
          .trim()
          .replace(/\s*UTC$/i, '+00:00')
          .replace(/\//g, '-'),
      )} AS TIMESTAMPTZ)`;
    case 'DATETIME':
      if (typeof value !== 'string' || !DATETIME_TEXT.test(value)) throw bad();
      return `CAST(${sqlString(value)} AS TIMESTAMP)`;
    case 'DATE':
      if (typeof value !== 'string' || !DATE_TEXT.test(value)) throw bad();
      return `CAST(${sqlString(value)} AS DATE)`;
    case 'TIME':
      if (typeof value !== 'string' || !TIME_TEXT.test(value)) throw bad();
      return `CAST(${sqlString(value)} AS TIME)`;
    default:
      throw bad();
  }
}

/** A line of NDJSON as the literals of a row, or an error BigQuery would report for it. */
function rowLiterals(fields: BigQueryField[], line: string): string[] {
  let object: unknown;
  try {
    object = parseExactJson(line);
  } catch (error) {
    throw new Error(`Parser terminated before end of string (${(error as Error).message})`);
  }
  if (typeof object !== 'object' || object === null || Array.isArray(object)) throw new Error('Only JSON objects can be loaded as rows');
  const record = object as Record<string, unknown>;
  for (const name of Object.keys(record))
    if (!fields.some((f) => f.name.toLowerCase() === name.toLowerCase())) throw new Error(`No such field: ${name}.`);
  return fields.map((field) => {
    const key = Object.keys(record).find((k) => k.toLowerCase() === field.name.toLowerCase());
    const value = key === undefined ? undefined : record[key];
    if (field.mode === 'REPEATED') {
      if (value === undefined || value === null) return `CAST([] AS ${duckdbType(field)})`;
      if (!Array.isArray(value)) throw new Error(`Array specified for non-repeated field: ${field.name}. (or a scalar for a repeated one)`);
      if (value.some((v) => v === null)) throw new Error(`Array field ${field.name} cannot contain NULL elements`);
      return `CAST([${value.map((v) => scalarLiteral({ ...field, mode: 'NULLABLE' }, v)).join(', ')}] AS ${duckdbType(field)})`;
    }
    if (value === undefined || value === null) {
      if (field.mode === 'REQUIRED') throw new Error(`Missing required field: ${field.name}.`);
      return 'NULL';
    }
    if (field.type === 'JSON') return `CAST(${sqlString(JSON.stringify(value, exactReplacer) ?? 'null')} AS JSON)`;
    if (Array.isArray(value)) throw new Error(`Array specified for non-repeated field: ${field.name}.`);
    return scalarLiteral(field, value);
  });
}

/** JSON.stringify for values of parseExactJson: big integers and decimals written with every digit. */
function exactReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return JSON.rawJSON(value.toString());
  if (value instanceof Decimal) return JSON.rawJSON(value.text);
  return value;
}

/** A DuckDB result column as a BigQuery schema field. */
function fieldOfDuckdb(name: string, type: { toString(): string; alias?: string }): BigQueryField {
  const text = String(type);
  const repeated = text.endsWith('[]');
  const base = repeated ? text.slice(0, -2) : text;
  const map: [RegExp, string][] = [
    [/^(BIGINT|INTEGER|SMALLINT|TINYINT|HUGEINT|UBIGINT|UINTEGER)$/, 'INT64'],
    [/^(DOUBLE|FLOAT|REAL)$/, 'FLOAT64'],
    [/^DECIMAL/, 'NUMERIC'],
    [/^BOOLEAN$/, 'BOOL'],
    [/^TIMESTAMP WITH TIME ZONE$/, 'TIMESTAMP'],
    [/^TIMESTAMP/, 'DATETIME'],
    [/^DATE$/, 'DATE'],
    [/^TIME$/, 'TIME'],
    [/^BLOB$/, 'BYTES'],
    [/^JSON$/, 'JSON'],
  ];
  const found = type.alias === 'JSON' ? 'JSON' : (map.find(([re]) => re.test(base))?.[1] ?? 'STRING');
  return { name, type: found, mode: repeated ? 'REPEATED' : 'NULLABLE' };
}

/** A result cell in the REST format ({v: text}); TIMESTAMP as µs since the epoch (int64) or seconds. */
function encodeCell(field: BigQueryField, value: unknown, int64Timestamps: boolean): unknown {
  if (value === null || value === undefined) return null;
  if (field.mode === 'REPEATED')
    return (value as unknown[]).map((v) => ({ v: encodeCell({ ...field, mode: 'NULLABLE' }, v, int64Timestamps) }));
  switch (field.type) {
    case 'TIMESTAMP': {
      const micros = timestampMicros(String(value));
      if (int64Timestamps) return micros.toString();
      const sign = micros < 0n ? '-' : '';
      const abs = micros < 0n ? -micros : micros;
      return `${sign}${abs / 1_000_000n}.${(abs % 1_000_000n).toString().padStart(6, '0')}`.replace(/\.?0+$/, '');
    }
    case 'DATETIME':
      return String(value).replace(' ', 'T');
    case 'BYTES':
      return Buffer.from(value as Uint8Array).toString('base64');
    case 'BOOL':
      return value ? 'true' : 'false';
    default:
      return typeof value === 'string' ? value : JSON.stringify(value);
  }
}

function encodeRow(fields: BigQueryField[], row: unknown[], int64Timestamps: boolean): { f: { v: unknown }[] } {
  return { f: fields.map((field, i) => ({ v: encodeCell(field, row[i], int64Timestamps) })) };
}

/** DuckDB's TIMESTAMPTZ text (`2024-02-29 18:29:59.999999+00`) as µs since the epoch. */
function timestampMicros(text: string): bigint {
  const m = /^(-?\d+)-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([+-]\d{2})(?::?(\d{2}))?/.exec(text);
  if (!m) throw new Error(`unexpected DuckDB timestamp ${text}`);
  const [, y, mo, d, h, mi, s, f = '', oh, om = '0'] = m as unknown as string[];
  const seconds =
    Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)) / 1000 -
    (Number(oh) * 3600 + Math.sign(Number(oh) || 1) * Number(om) * 60);
  return BigInt(seconds) * 1_000_000n + BigInt(f.padEnd(6, '0').slice(0, 6));
}

/** A stored value as a plain one for tests: TIMESTAMP as ISO UTC with µs, JSON parsed exactly, lists element-wise. */
function plainValue(field: BigQueryField, value: unknown): unknown {
  if (field.mode === 'REPEATED') return (value as unknown[]).map((v) => plainValue({ ...field, mode: 'NULLABLE' }, v));
  switch (field.type) {
    case 'TIMESTAMP': {
      const micros = timestampMicros(String(value));
      const seconds = micros / 1_000_000n - (micros % 1_000_000n < 0n ? 1n : 0n);
      const fraction = ((micros % 1_000_000n) + 1_000_000n) % 1_000_000n;
      return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}.${fraction.toString().padStart(6, '0')}Z`;
    }
    case 'DATETIME':
      return String(value).replace(' ', 'T');
    case 'JSON':
      return parseExactJson(String(value));
    default:
      return value;
  }
}
