// A stand-in for the Snowflake service as the official Node driver (snowflake-sdk) speaks to it, on a real socket
// (plain HTTP on 127.0.0.1; the driver is pointed at it with `accessUrl`). It is not Snowflake: it runs the SQL it
// is sent on DuckDB (the shared DuckEngine), translated only where Snowflake SQL and DuckDB differ (snowflake-sql.ts).
// The protocol is the driver's own, as its source shows it (snowflake-sdk lib/services/sf.js, lib/connection/
// statement.js, lib/file_transfer_agent): request bodies gzip JSON; answers `{success, code, message, data}`.
//
// - POST /session/v1/login-request: password (`data.PASSWORD`) or key pair (`AUTHENTICATOR: SNOWFLAKE_JWT`, a JWT
//   in `data.TOKEN` signed RS256 with the user's key, `iss` = `ACCOUNT.USER.SHA256:<public key fingerprint>`,
//   `sub` = `ACCOUNT.USER`, checked against the public key registered with `addUser`); a wrong one is code 390100 /
//   390144. Answers a session token and a master token with their validity, and the session's database/schema/
//   warehouse/role (an unknown database is 390201).
// - POST /session/token-request with the master token: a new session token (`requestType: RENEW`). A request with an
//   expired session token gets code 390112, after which the driver renews and sends it again; `expireSessionTokens()`
//   makes that happen on demand.
// - POST /session?delete=true: logs out.
// - POST /queries/v1/query-request: one statement per request (`sqlText`), answered synchronously with the JSON
//   result format (no Arrow, no async `getResultUrl`). SELECT/WITH results are typed as Snowflake types them and
//   come in parts — the first inline, the others as chunks downloaded by URL with the query's SSE-C key
//   (snowflake-results.ts, from Snowflake's documentation of results and partitions); other statements answer TEXT
//   columns. Session parameters (ALTER SESSION SET) are sent with each answer. CURRENT_WAREHOUSE()/ROLE()/
//   DATABASE()/SCHEMA() give the session's; INFORMATION_SCHEMA.SCHEMATA/TABLES/COLUMNS and SHOW PRIMARY KEYS
//   describe the tables (types as declared by CREATE TABLE). With `warehouses` set, a login naming another warehouse
//   gets a session without one, whose queries fail with 000606. Errors as Snowflake reports them: code, sqlState,
//   message (002003 for a missing table). A master token expired (`expireMasterTokens`) refuses renewal with 390114.
// - PUT 'file://…' @stage: answered with the UPLOAD command and a LOCAL_FS stage location — the driver's own
//   local-stage path (file_transfer_agent/local_util.js: it copies the file into that folder; the driver notes the
//   real service refuses LOCAL_FS and uses S3/Azure/GCS with client-side encryption instead, which this does not
//   exercise). Table stages (`@"S".%"T"`, `@%T`) and named stages (`CREATE STAGE`, `@NAME/path`) are folders.
// - COPY INTO <table> (cols) FROM (SELECT $1, PARSE_JSON($2) … FROM @stage) FILES = (…) FILE_FORMAT = (TYPE = CSV …)
//   [PURGE = TRUE]: from an internal stage's folder, or from an external stage (CREATE STAGE … URL = 's3://…',
//   'gcs://…' or 'azure://<account>.blob.core.windows.net/<container>/…' with CREDENTIALS — AWS keys for S3,
//   AZURE_SAS_TOKEN for Azure, none allowed for GCS — or a STORAGE_INTEGRATION registered by `addStorageIntegration`
//   for that provider) whose objects it downloads with the stage's access from the store at `s3Endpoint` (s3rver),
//   `gcsEndpoint` (the GCS stand-in) or `azureEndpoint` (Azurite), as Snowflake reads the cloud's; reads the staged gzip CSV with DuckDB's CSV reader under the file format's options (enclosure,
//   EMPTY_FIELD_AS_NULL, NULL_IF, BINARY_FORMAT HEX), casts each value to its column's type (a bad value fails the
//   statement, as ON_ERROR = ABORT_STATEMENT), and answers one row per file (file, status, rows_parsed, rows_loaded).
// - DESCRIBE TABLE: name, type (Snowflake's names: NUMBER(p,s), VARCHAR(16777216), TIMESTAMP_TZ(9), VARIANT …),
//   kind, null?.
// - BEGIN / COMMIT / ROLLBACK; DDL inside a transaction first commits it (Snowflake's implicit commit).
//
// Table names in plain SQL must be qualified (`"SCHEMA"."TABLE"`): the session's schema is applied only to
// DESCRIBE, COPY INTO and stage names. What it does not check: privileges and grants, warehouses (any name is accepted), cost, MERGE's rule on
// nondeterministic matches, identifier case beyond what DuckDB does (DuckDB compares names case-insensitively even
// quoted), and any SQL DuckDB accepts that Snowflake would not: that is for the golden files and the live test.
import { createHash, createPublicKey, randomBytes, randomUUID, verify } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { parseExactJson } from '@mage-int/core';
import { DuckEngine, type DuckResult } from '../duckdb-engine.js';
import { isPunct, splitTopLevel } from '../sql-tokens.js';
import { StandInServer, VendorStandIn, type StandInRequest, type StandInResponse } from '../stand-in-server.js';
import {
  duckIdent,
  duckString,
  renderDuckdb,
  sfShape,
  snowflakeTypeOf,
  SnowflakeSqlError,
  splitSnowflake,
  tokenizeSnowflake,
  withoutConstraints,
  type SfToken,
} from './snowflake-sql.js';
import {
  declaredTable,
  redirectInformationSchema,
  refreshInformationSchema,
  wireColumn,
  type DeclaredTable,
  type RowType,
} from './snowflake-results.js';

export interface SnowflakeStandInOptions {
  /** The account identifier logins must name (default `MAGE_TEST`). */
  account?: string;
  /** The one database (default `MAGE_TEST_DB`). */
  database?: string;
  /** How long a session token lasts, in seconds (default 3600). */
  sessionTokenSeconds?: number;
  /**
   * The warehouses that exist. A login naming another gets a session without a warehouse (as Snowflake does when the
   * warehouse does not exist or the role may not use it), whose queries fail with 000606. Default: any name exists.
   */
  warehouses?: string[];
  /** Rows in each part of a result: the first inline, the others as chunks to download (default 10000). */
  resultChunkRows?: number;
  /**
   * Where external stages on `s3://bucket/…` are read (an s3rver URL): Snowflake reads S3 from AWS, the stand-in from
   * here, with the stage's credentials or its storage integration's (needs `@mage-int/files-s3`).
   */
  s3Endpoint?: string;
  /** Where external stages on `gcs://bucket/…` are read (the GCS stand-in's URL; needs `@mage-int/files-gcs`). */
  gcsEndpoint?: string;
  /**
   * Where external stages on `azure://<account>.blob.core.windows.net/<container>/…` are read: the blob service URL
   * of that account (Azurite's `http://127.0.0.1:<port>/devstoreaccount1`; needs `@mage-int/files-azure`).
   */
  azureEndpoint?: string;
}

/**
 * How a stage, or a storage integration, reads its store: AWS keys (S3), a SAS token or an account key (Azure: an
 * integration's consent stands for one here), nothing (GCS: the stand-in has no authentication).
 */
export type StageAccess =
  | { provider?: 'S3'; accessKeyId: string; secretAccessKey: string; sessionToken?: string }
  | { provider: 'GCS' }
  | { provider: 'AZURE'; sasToken?: string; accountKey?: string };

/** An external stage (CREATE STAGE … URL = '…'): its store, location and the access it reads with. */
interface ExternalStageInfo {
  provider: 'S3' | 'GCS' | 'AZURE';
  /** The bucket, or Azure's container. */
  bucket: string;
  /** Azure's storage account. */
  account?: string;
  prefix: string;
  access: StageAccess;
}

interface Session {
  token: string;
  master: string;
  expires: number;
  masterExpires: number;
  user: string;
  schema: string;
  warehouse: string | null;
  role: string;
  /** Session parameters (ALTER SESSION SET), sent with every answer as the drivers expect. */
  parameters: Map<string, string | number | boolean>;
}

/** The session parameters an answer carries by default (Snowflake's documented defaults). */
const DEFAULT_PARAMETERS: [string, string | number | boolean][] = [
  ['TIMEZONE', 'America/Los_Angeles'],
  ['TIMESTAMP_OUTPUT_FORMAT', 'YYYY-MM-DD HH24:MI:SS.FF3 TZHTZM'],
  ['TIMESTAMP_NTZ_OUTPUT_FORMAT', 'YYYY-MM-DD HH24:MI:SS.FF3'],
  ['TIMESTAMP_LTZ_OUTPUT_FORMAT', ''],
  ['TIMESTAMP_TZ_OUTPUT_FORMAT', ''],
  ['DATE_OUTPUT_FORMAT', 'YYYY-MM-DD'],
  ['TIME_OUTPUT_FORMAT', 'HH24:MI:SS'],
  ['BINARY_OUTPUT_FORMAT', 'HEX'],
];

/** The running stand-in: `url` is the driver's `accessUrl`; `addUser` registers a login. */
export class SnowflakeStandIn extends VendorStandIn {
  readonly account: string;
  readonly database: string;
  /** Every statement the stand-in was sent (as sent), for tests to inspect. */
  readonly statements: string[] = [];
  private readonly users = new Map<string, { password?: string; publicKeyPem?: string }>();
  private readonly sessions = new Map<string, Session>();
  private readonly stageRoot = mkdtempSync(join(tmpdir(), 'mage-int-snowflake-stand-in-'));
  private readonly namedStages = new Set<string>();
  private readonly externalStages = new Map<string, ExternalStageInfo>();
  private readonly integrations = new Map<string, StageAccess>();
  private readonly s3Endpoint?: string;
  private readonly gcsEndpoint?: string;
  private readonly azureEndpoint?: string;
  private readonly tokenSeconds: number;
  private readonly warehouses?: Set<string>;
  private readonly chunkRows: number;
  /** Declared column types and keys per `SCHEMA.TABLE` (CREATE TABLE), for INFORMATION_SCHEMA and SHOW PRIMARY KEYS. */
  private readonly declared = new Map<string, DeclaredTable>();
  /** Result parts waiting to be downloaded: `queryId/n` → the gzip body and the key it is encrypted with. */
  private readonly chunks = new Map<string, { body: Buffer; key: string }>();
  private engine!: DuckEngine;
  private inTransaction = false;

  private constructor(options: SnowflakeStandInOptions) {
    super();
    this.account = (options.account ?? 'MAGE_TEST').toUpperCase();
    this.database = (options.database ?? 'MAGE_TEST_DB').toUpperCase();
    this.tokenSeconds = options.sessionTokenSeconds ?? 3600;
    if (options.warehouses) this.warehouses = new Set(options.warehouses.map((w) => w.toUpperCase()));
    this.chunkRows = options.resultChunkRows ?? 10_000;
    if (options.s3Endpoint) this.s3Endpoint = options.s3Endpoint;
    if (options.gcsEndpoint) this.gcsEndpoint = options.gcsEndpoint;
    if (options.azureEndpoint) this.azureEndpoint = options.azureEndpoint;
  }

  static async start(options: SnowflakeStandInOptions = {}): Promise<SnowflakeStandIn> {
    const standIn = new SnowflakeStandIn(options);
    standIn.engine = await DuckEngine.start();
    standIn.server = await StandInServer.start((request) => standIn.handle(request));
    return standIn;
  }

  override async close(): Promise<void> {
    await super.close();
    this.engine.close();
    rmSync(this.stageRoot, { recursive: true, force: true });
  }

  /** Registers a user with a password and/or an RSA public key (PEM) for key-pair logins. */
  addUser(name: string, auth: { password?: string; publicKeyPem?: string }): void {
    this.users.set(name.toUpperCase(), auth);
  }

  /** Makes every session token expired: the next query gets 390112 and the driver must renew. */
  expireSessionTokens(): void {
    for (const session of this.sessions.values()) session.expires = 0;
  }

  /** Makes every session token and master token expired: renewal is refused (390114), only a new login helps. */
  expireMasterTokens(): void {
    for (const session of this.sessions.values()) {
      session.expires = 0;
      session.masterExpires = 0;
    }
  }

  /**
   * Registers a storage integration (CREATE STORAGE INTEGRATION … STORAGE_PROVIDER = 'S3' | 'GCS' | 'AZURE'): what its
   * IAM role, service account or consented app stands for here (AWS keys when no provider is named).
   */
  addStorageIntegration(name: string, access: StageAccess): void {
    this.integrations.set(name.toUpperCase(), access);
  }

  /** Runs SQL on the engine as given (DuckDB SQL), for tests to set up data the stand-in's SQL cannot write. */
  async runDuckdb(sql: string): Promise<void> {
    await this.engine.serial(() => this.engine.run(sql));
  }

  /** The rows of a table as plain values (NUMBER as text, timestamps as ISO text in UTC, VARIANT parsed exactly (big integers as bigint), BINARY base64). */
  async rows(schema: string, table: string): Promise<Record<string, unknown>[]> {
    return this.engine.serial(async () => {
      const described = await this.engine.read(`DESCRIBE ${duckIdent(schema)}.${duckIdent(table)}`);
      const list = described.rows
        .map((r) => {
          const name = duckIdent(String(r['column_name']));
          const type = String(r['column_type']);
          if (type === 'BLOB') return `to_base64(${name}) AS ${name}`;
          if (type === 'TIMESTAMP WITH TIME ZONE') return `strftime(timezone('UTC', ${name}), '%Y-%m-%dT%H:%M:%S.%fZ') AS ${name}`;
          if (type.startsWith('DECIMAL')) return `CAST(${name} AS VARCHAR) AS ${name}`;
          return name;
        })
        .join(', ');
      const result = await this.engine.read(`SELECT ${list} FROM ${duckIdent(schema)}.${duckIdent(table)}`);
      const json = new Set(described.rows.filter((r) => r['column_type'] === 'JSON').map((r) => String(r['column_name'])));
      return result.rows.map((row) =>
        Object.fromEntries(Object.entries(row).map(([k, v]) => [k, json.has(k) && typeof v === 'string' ? parseExactJson(v) : v])),
      );
    });
  }

  /** Table names of a schema. */
  async tableNames(schema: string): Promise<string[]> {
    const result = await this.engine.serial(() =>
      this.engine.read(`SELECT table_name FROM information_schema.tables WHERE table_schema = ${duckString(schema)} ORDER BY 1`),
    );
    return result.rows.map((r) => String(r['table_name']));
  }

  /** Files left in stages (PURGE = TRUE removes them after a COPY). */
  stagedFiles(): string[] {
    const out: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) walk(join(dir, entry.name));
        else out.push(join(dir, entry.name));
      }
    };
    walk(this.stageRoot);
    return out;
  }

  private async handle(request: StandInRequest): Promise<StandInResponse> {
    const path = request.url.pathname;
    if (path.startsWith('/stand-in/result-chunks/') && request.method === 'GET') return this.chunk(request);
    const raw = request.headers['content-encoding'] === 'gzip' ? gunzipSync(request.raw) : request.raw;
    const body = (raw.length > 0 ? JSON.parse(raw.toString('utf8')) : {}) as Record<string, unknown>;
    if (path === '/session/v1/login-request' && request.method === 'POST') return this.login(request.url.searchParams, body);
    const token = /^Snowflake Token="([^"]+)"$/.exec(String(request.headers.authorization ?? ''))?.[1];
    if (path === '/session/token-request' && request.method === 'POST') return this.renew(token, body);
    const session = [...this.sessions.values()].find((s) => s.token === token);
    if (!session) return fail('390104', 'Authentication token is invalid or has been removed. Please login again.');
    if (session.expires < Date.now()) return fail('390112', 'Session token has expired. Please reauthenticate.');
    if (path === '/session' && request.url.searchParams.get('delete') === 'true') {
      this.sessions.delete(session.master);
      return ok({});
    }
    if (path === '/queries/v1/query-request' && request.method === 'POST') return this.query(session, String(body['sqlText'] ?? ''));
    if (path === '/telemetry/send') return ok({});
    return { status: 404, body: { success: false, code: null, message: `the stand-in does not serve ${request.method} ${path}` } };
  }

  private login(params: URLSearchParams, body: Record<string, unknown>): StandInResponse {
    const data = (body['data'] ?? {}) as Record<string, unknown>;
    const account = String(data['ACCOUNT_NAME'] ?? '').toUpperCase();
    const user = String(data['LOGIN_NAME'] ?? '').toUpperCase();
    const known = this.users.get(user);
    if (account !== this.account || !known) return fail('390100', 'Incorrect username or password was specified.');
    if (data['AUTHENTICATOR'] === 'SNOWFLAKE_JWT') {
      if (!known.publicKeyPem || !this.validJwt(String(data['TOKEN'] ?? ''), account, user, known.publicKeyPem))
        return fail('390144', 'JWT token is invalid.');
    } else if (known.password === undefined || data['PASSWORD'] !== known.password) {
      return fail('390100', 'Incorrect username or password was specified.');
    }
    const database = params.get('databaseName');
    if (database && database.toUpperCase() !== this.database)
      return fail('390201', `The requested database does not exist or not authorized. '${database}'`);
    const warehouse = params.get('warehouse')?.toUpperCase() ?? null;
    const session: Session = {
      token: `ST-${randomUUID()}`,
      master: `MT-${randomUUID()}`,
      expires: Date.now() + this.tokenSeconds * 1000,
      masterExpires: Date.now() + 14_400_000,
      user,
      schema: (params.get('schemaName') ?? 'PUBLIC').toUpperCase(),
      warehouse: warehouse !== null && this.warehouses && !this.warehouses.has(warehouse) ? null : warehouse,
      role: params.get('roleName')?.toUpperCase() ?? 'PUBLIC',
      parameters: new Map(DEFAULT_PARAMETERS),
    };
    this.sessions.set(session.master, session);
    return ok({
      token: session.token,
      masterToken: session.master,
      validityInSeconds: this.tokenSeconds,
      masterValidityInSeconds: 14400,
      sessionId: Math.floor(Math.random() * 1e12),
      displayUserName: user,
      serverVersion: 'stand-in',
      sessionInfo: {
        databaseName: this.database,
        schemaName: session.schema,
        warehouseName: session.warehouse,
        roleName: session.role,
      },
      parameters: parametersOf(session),
    });
  }

  /** RS256 signature, `iss` = ACCOUNT.USER.SHA256:<base64 SHA-256 of the public key's DER>, `sub`, `exp` in the future. */
  private validJwt(jwt: string, account: string, user: string, publicKeyPem: string): boolean {
    const [header, payload, signature] = jwt.split('.');
    if (!header || !payload || !signature) return false;
    const key = createPublicKey(publicKeyPem);
    if (!verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url'))) return false;
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    const fingerprint = createHash('sha256')
      .update(key.export({ type: 'spki', format: 'der' }))
      .digest('base64');
    return (
      claims['iss'] === `${account}.${user}.SHA256:${fingerprint}` &&
      claims['sub'] === `${account}.${user}` &&
      Number(claims['exp']) * 1000 > Date.now()
    );
  }

  private renew(master: string | undefined, body: Record<string, unknown>): StandInResponse {
    const session = master ? this.sessions.get(master) : undefined;
    if (!session || body['requestType'] !== 'RENEW' || session.masterExpires < Date.now())
      return fail('390114', 'Authentication token has expired.  The user must authenticate again.');
    session.token = `ST-${randomUUID()}`;
    session.expires = Date.now() + this.tokenSeconds * 1000;
    return ok({
      sessionToken: session.token,
      validityInSecondsST: this.tokenSeconds,
      masterToken: session.master,
      validityInSecondsMT: 14400,
    });
  }

  private async query(session: Session, sqlText: string): Promise<StandInResponse> {
    const queryId = randomUUID();
    this.statements.push(sqlText);
    try {
      const statements = splitSnowflake(tokenizeSnowflake(sqlText));
      if (statements.length !== 1)
        throw new SnowflakeSqlError(
          '000008',
          '0A000',
          `Actual statement count ${statements.length} did not match the desired statement count 1.`,
        );
      const result = await this.engine.serial(() => this.statement(session, statements[0] as SfToken[]));
      const rowtype =
        result.rowtype ??
        result.columns.map((name) => ({
          name,
          type: 'text',
          nullable: true,
          length: 16777216,
          precision: null,
          scale: null,
          byteLength: 16777216,
        }));
      return ok({
        queryId,
        rowtype,
        ...this.parts(queryId, result.rows),
        // `total` and `returned` count every row of the result, the chunks' included.
        total: result.rows.length,
        returned: result.rows.length,
        queryResultFormat: 'json',
        version: 1,
        parameters: parametersOf(session),
        finalDatabaseName: this.database,
        finalSchemaName: session.schema,
        ...(result.extra ?? {}),
      });
    } catch (error) {
      const e = error instanceof SnowflakeSqlError ? error : duckError(error);
      return {
        status: 200,
        body: {
          success: false,
          code: e.code,
          message: e.message,
          data: { queryId, errorCode: e.code, sqlState: e.sqlState, internalError: false },
        },
      };
    }
  }

  /**
   * A result as Snowflake sends it: the first `resultChunkRows` rows inline, the rest as chunks listed with their
   * download URL, row count and sizes, encrypted (SSE-C) with the query's result key `qrmk`.
   */
  private parts(queryId: string, rows: (string | null)[][]): Record<string, unknown> {
    if (rows.length <= this.chunkRows) return { rowset: rows };
    const key = randomBytes(32).toString('base64');
    const chunks: Record<string, unknown>[] = [];
    for (let start = this.chunkRows, n = 0; start < rows.length; start += this.chunkRows, n++) {
      const slice = rows.slice(start, start + this.chunkRows);
      const text = Buffer.from(slice.map((r) => JSON.stringify(r)).join(','));
      const body = gzipSync(text);
      this.chunks.set(`${queryId}/${n}`, { body, key });
      chunks.push({
        url: `${this.url}/stand-in/result-chunks/${queryId}/${n}`,
        rowCount: slice.length,
        uncompressedSize: text.length,
        compressedSize: body.length,
      });
    }
    return { rowset: rows.slice(0, this.chunkRows), chunks, qrmk: key };
  }

  /** A result chunk's download: refused without the query's key in the SSE-C header, as the storage would. */
  private chunk(request: StandInRequest): StandInResponse {
    const id = request.url.pathname.slice('/stand-in/result-chunks/'.length);
    const chunk = this.chunks.get(id);
    if (!chunk) return { status: 404, headers: { 'content-type': 'application/xml' }, raw: '<Error><Code>NoSuchKey</Code></Error>' };
    if (request.headers['x-amz-server-side-encryption-customer-key'] !== chunk.key)
      return { status: 403, headers: { 'content-type': 'application/xml' }, raw: '<Error><Code>AccessDenied</Code></Error>' };
    return { status: 200, headers: { 'content-type': 'application/octet-stream', 'content-encoding': 'gzip' }, raw: chunk.body };
  }

  /** SELECT … as a typed result: DuckDB describes it, then each column is read as Snowflake's wire text of its type. */
  private async select(sql: string): Promise<{ columns: string[]; rows: (string | null)[][]; rowtype: RowType[] }> {
    const described = await this.engine.read(`DESCRIBE ${sql}`);
    const columns = described.rows.map((r, i) => wireColumn(String(r['column_name']), String(r['column_type']), `q."c${i}"`));
    const aliases = columns.map((_, i) => `"c${i}"`).join(', ');
    const list = columns.map((c, i) => `${c.sql} AS "w${i}"`).join(', ') || '*';
    const result = await this.engine.read(`SELECT ${list} FROM (${sql}) AS q(${aliases})`);
    return {
      columns: columns.map((c) => c.rowtype.name),
      rowtype: columns.map((c) => c.rowtype),
      rows: result.rows.map((r) => Object.values(r).map(text)),
    };
  }

  private async statement(
    session: Session,
    input: SfToken[],
  ): Promise<{ columns: string[]; rows: (string | null)[][]; rowtype?: RowType[]; extra?: Record<string, unknown> }> {
    const tokens = this.withSession(session, input);
    refuseReservedAliases(tokens);
    const words = sfShape(tokens);
    const head = words.slice(0, 2).join(' ');
    const done = (status = 'Statement executed successfully.') => ({ columns: ['status'], rows: [[status]] });
    const compute =
      ['SELECT', 'WITH', 'INSERT', 'UPDATE', 'DELETE', 'MERGE', 'COPY'].includes(words[0] as string) && words.includes('FROM');
    if (compute && session.warehouse === null)
      throw new SnowflakeSqlError(
        '000606',
        '57P03',
        "No active warehouse selected in the current session.  Select an active warehouse with the 'use warehouse' command.",
      );
    if (words[0] === 'PUT') return this.put(session, tokens);
    if (words[0] === 'COPY') return this.copy(session, tokens);
    if (head === 'ALTER SESSION') {
      this.alterSession(session, tokens);
      return done();
    }
    if (words[0] === 'USE') return done();
    if (head === 'SHOW PRIMARY') return this.primaryKeys(session, tokens);
    if (words[0] === 'SELECT' || words[0] === 'WITH') {
      if (redirectInformationSchema(tokens)) await refreshInformationSchema(this.engine, this.database, this.declared);
      return this.select(renderDuckdb(tokens));
    }
    if (words[0] === 'CREATE' && words.includes('TABLE') && !words.includes('AS')) {
      const created = declaredTable(tokens, session.schema);
      if (created) this.declared.set(`${created.schema}.${created.table}`, created.declared);
    }
    if (head === 'CREATE STAGE' || (words[0] === 'CREATE' && words.includes('STAGE'))) {
      const name = tokens.filter(
        (t) =>
          t.kind === 'ident' ||
          (t.kind === 'word' && !['CREATE', 'OR', 'REPLACE', 'STAGE', 'IF', 'NOT', 'EXISTS', 'TEMPORARY'].includes(t.text.toUpperCase())),
      )[0];
      if (name) {
        const stageName = name.kind === 'ident' ? name.name : (name as { text: string }).text.toUpperCase();
        const external = this.externalStage(tokens);
        if (external) this.externalStages.set(stageName, external);
        else this.namedStages.add(stageName);
      }
      return done('Stage area successfully created.');
    }
    if (head === 'DESCRIBE TABLE' || head === 'DESC TABLE') return this.describe(session, tokens);
    if (words[0] === 'BEGIN' || head === 'START TRANSACTION') {
      if (!this.inTransaction) await this.engine.run('BEGIN TRANSACTION');
      this.inTransaction = true;
      return done();
    }
    if (words[0] === 'COMMIT' || words[0] === 'ROLLBACK') {
      if (this.inTransaction) await this.engine.run(words[0] as string);
      this.inTransaction = false;
      return done();
    }
    const ddl = ['CREATE', 'ALTER', 'DROP'].includes(words[0] as string);
    if (ddl && this.inTransaction) {
      // Snowflake commits an open transaction before any DDL statement.
      await this.engine.run('COMMIT');
      this.inTransaction = false;
    }
    const sql = renderDuckdb(words[0] === 'CREATE' ? withoutConstraints(tokens) : tokens);
    const result: DuckResult = await this.engine.read(sql);
    return { columns: result.columns.map((c) => c.name), rows: result.rows.map((r) => Object.values(r).map(text)) };
  }

  /**
   * The statement with the session applied: `CURRENT_WAREHOUSE()`, `CURRENT_ROLE()`, `CURRENT_DATABASE()`,
   * `CURRENT_SCHEMA()` as the session's values, and the database dropped from three-part names (one database here).
   */
  private withSession(session: Session, tokens: SfToken[]): SfToken[] {
    const out: SfToken[] = [];
    const values: Record<string, string | null> = {
      CURRENT_WAREHOUSE: session.warehouse,
      CURRENT_ROLE: session.role,
      CURRENT_DATABASE: this.database,
      CURRENT_SCHEMA: session.schema,
    };
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i] as SfToken;
      const word = t.kind === 'word' ? t.text.toUpperCase() : undefined;
      if (
        word !== undefined &&
        word in values &&
        tokens[i + 1]?.kind === 'punct' &&
        isPunct(tokens[i + 1], '(') &&
        isPunct(tokens[i + 2], ')')
      ) {
        const value = values[word] ?? null;
        out.push(value === null ? { kind: 'word', text: 'NULL' } : { kind: 'string', value });
        i += 2;
      } else if (
        ((t.kind === 'ident' && t.name === this.database) || (word !== undefined && word === this.database)) &&
        isPunct(tokens[i + 1], '.') &&
        (tokens[i + 2]?.kind === 'ident' || tokens[i + 2]?.kind === 'word') &&
        isPunct(tokens[i + 3], '.')
      ) {
        i += 1;
      } else out.push(t);
    }
    return out;
  }

  /** ALTER SESSION SET name = value …: the parameters answers carry (TIMEZONE, output formats …). */
  private alterSession(session: Session, tokens: SfToken[]): void {
    const solid = tokens.filter((t) => t.kind !== 'space');
    for (let i = 3; i + 2 < solid.length; i++) {
      const key = solid[i] as SfToken;
      const value = solid[i + 2] as SfToken;
      if (key.kind !== 'word' || !isPunct(solid[i + 1], '=')) continue;
      const v =
        value.kind === 'string'
          ? value.value
          : value.kind === 'number'
            ? Number(value.text)
            : value.kind === 'word'
              ? value.text.toUpperCase()
              : '';
      session.parameters.set(key.text.toUpperCase(), v);
      i += 2;
    }
  }

  /** SHOW PRIMARY KEYS IN SCHEMA [db.]schema: the declared keys of the schema's tables that exist. */
  private async primaryKeys(session: Session, tokens: SfToken[]) {
    const names = tokens
      .filter(
        (t) => t.kind === 'ident' || (t.kind === 'word' && !['SHOW', 'PRIMARY', 'KEYS', 'IN', 'SCHEMA'].includes(t.text.toUpperCase())),
      )
      .map((t) => (t.kind === 'ident' ? t.name : (t as { text: string }).text.toUpperCase()));
    const schema = names[names.length - 1] ?? session.schema;
    const tables = await this.engine.read(`SELECT table_name FROM information_schema.tables WHERE table_schema = ${duckString(schema)}`);
    const existing = new Set(tables.rows.map((r) => String(r['table_name'])));
    const rows: (string | null)[][] = [];
    for (const [key, table] of this.declared) {
      const [s, t] = [key.slice(0, key.indexOf('.')), key.slice(key.indexOf('.') + 1)];
      if (s !== schema || !existing.has(t)) continue;
      table.keys.forEach((column, i) => {
        rows.push([new Date().toISOString(), this.database, s, t, column, String(i + 1), `SYS_CONSTRAINT_${t}`, 'false', null]);
      });
    }
    return {
      columns: [
        'created_on',
        'database_name',
        'schema_name',
        'table_name',
        'column_name',
        'key_sequence',
        'constraint_name',
        'rely',
        'comment',
      ],
      rows,
    };
  }

  /**
   * `URL = 's3://bucket/prefix/'`, `'gcs://bucket/prefix/'` or `'azure://account.blob.core.windows.net/container/prefix/'`
   * with `CREDENTIALS = (AWS_KEY_ID = … AWS_SECRET_KEY = … [AWS_TOKEN = …])` (S3), `CREDENTIALS = (AZURE_SAS_TOKEN = …)`
   * (Azure), or `STORAGE_INTEGRATION = name` of the same provider (docs.snowflake.com: CREATE STAGE, external stage
   * parameters: GCS stages take no CREDENTIALS); undefined for an internal stage.
   */
  private externalStage(tokens: SfToken[]): ExternalStageInfo | undefined {
    const solid = tokens.filter((t) => t.kind !== 'space');
    const after = (word: string) => solid.findIndex((t) => t.kind === 'word' && t.text.toUpperCase() === word);
    const urlAt = after('URL');
    if (urlAt < 0) return undefined;
    const url = solid[urlAt + 2];
    const text = url?.kind === 'string' ? url.value : '';
    const s3 = /^s3:\/\/([^/]+)\/?(.*)$/.exec(text);
    const gcs = /^gcs:\/\/([^/]+)\/?(.*)$/.exec(text);
    const azure = /^azure:\/\/([^./]+)\.blob\.core\.windows\.net\/([^/]+)\/?(.*)$/.exec(text);
    const location: Omit<ExternalStageInfo, 'access'> | undefined = s3
      ? { provider: 'S3', bucket: s3[1] as string, prefix: s3[2] ?? '' }
      : gcs
        ? { provider: 'GCS', bucket: gcs[1] as string, prefix: gcs[2] ?? '' }
        : azure
          ? { provider: 'AZURE', account: azure[1] as string, bucket: azure[2] as string, prefix: azure[3] ?? '' }
          : undefined;
    if (!location)
      throw new SnowflakeSqlError(
        '001003',
        '42000',
        `SQL compilation error: invalid URL '${text}' (s3://, gcs:// or azure://…blob.core.windows.net/)`,
      );
    const integrationAt = after('STORAGE_INTEGRATION');
    const credentialsAt = after('CREDENTIALS');
    if (integrationAt >= 0) {
      const name = solid[integrationAt + 2];
      const integration = name?.kind === 'ident' ? name.name : name?.kind === 'word' ? name.text.toUpperCase() : '';
      const access = this.integrations.get(integration);
      if (!access)
        throw new SnowflakeSqlError(
          '002003',
          '02000',
          `SQL compilation error:\nIntegration '${integration}' does not exist or not authorized.`,
        );
      if ((access.provider ?? 'S3') !== location.provider)
        throw new SnowflakeSqlError(
          '001008',
          '22023',
          `SQL compilation error:\ninvalid value '${text}' for property 'URL': integration '${integration}' is not for ${location.provider}.`,
        );
      return { ...location, access };
    }
    const credentials: Record<string, string> = {};
    for (let i = credentialsAt + 3; credentialsAt >= 0 && i + 2 < solid.length && !isPunct(solid[i], ')'); i += 3) {
      const key = solid[i];
      const value = solid[i + 2];
      if (key?.kind === 'word' && value?.kind === 'string') credentials[key.text.toUpperCase()] = value.value;
    }
    if (location.provider === 'GCS') {
      if (credentialsAt >= 0)
        throw new SnowflakeSqlError(
          '001003',
          '42000',
          'SQL compilation error:\nsyntax error: CREDENTIALS are not supported for GCS stages; use STORAGE_INTEGRATION.',
        );
      return { ...location, access: { provider: 'GCS' } };
    }
    if (location.provider === 'AZURE') {
      const sasToken = credentials['AZURE_SAS_TOKEN'];
      return { ...location, access: { provider: 'AZURE', ...(sasToken ? { sasToken } : {}) } };
    }
    return {
      ...location,
      access: {
        accessKeyId: credentials['AWS_KEY_ID'] ?? '',
        secretAccessKey: credentials['AWS_SECRET_KEY'] ?? '',
        ...(credentials['AWS_TOKEN'] ? { sessionToken: credentials['AWS_TOKEN'] } : {}),
      },
    };
  }

  /** The files kit's storage an external stage's objects are read (and purged) through, at the configured endpoint. */
  private async externalStorage(external: ExternalStageInfo, path: string) {
    const prefix = [external.prefix.replace(/\/+$/, ''), path].filter((p) => p !== '').join('/');
    const missing = (option: string) =>
      new SnowflakeSqlError('091003', '22000', `Failure using stage area: the stand-in was started without ${option}`);
    const access = external.access;
    if (access.provider === 'GCS') {
      if (!this.gcsEndpoint) throw missing('gcsEndpoint');
      const { GcsStorage } = await import('@mage-int/files-gcs');
      return new GcsStorage({ bucket: external.bucket, prefix, endpoint: this.gcsEndpoint });
    }
    if (access.provider === 'AZURE') {
      if (!this.azureEndpoint) throw missing('azureEndpoint');
      const served = new URL(this.azureEndpoint).pathname.replace(/^\/+|\/+$/g, '');
      if (served !== external.account)
        throw new SnowflakeSqlError(
          '091003',
          '22000',
          `Failure using stage area. Cause: [the storage account ${external.account} is not reachable]`,
        );
      const { AzureBlobStorage } = await import('@mage-int/files-azure');
      return new AzureBlobStorage({
        account_name: external.account,
        container: external.bucket,
        prefix,
        endpoint: this.azureEndpoint,
        ...(access.accountKey ? { account_key: access.accountKey } : { sas_token: access.sasToken ?? '' }),
      });
    }
    if (!this.s3Endpoint) throw missing('s3Endpoint');
    const { S3Storage } = await import('@mage-int/files-s3');
    return new S3Storage({
      bucket: external.bucket,
      prefix,
      endpoint: this.s3Endpoint,
      force_path_style: true,
      region: 'us-east-1',
      access_key_id: access.accessKeyId,
      secret_access_key: access.secretAccessKey,
      ...(access.sessionToken ? { session_token: access.sessionToken } : {}),
    });
  }

  /**
   * The files a COPY reads: an internal stage's folder, or an external stage's objects (FILES under the path, else
   * every object there) downloaded from S3 with the stage's keys into a private folder. `purge` deletes a loaded file
   * where it is staged (PURGE = TRUE); `done` drops the downloads.
   */
  private async stageFiles(
    session: Session,
    stage: string,
    files: string[] | undefined,
  ): Promise<{ folder: string; files: string[]; purge: (file: string) => Promise<void>; done: () => void }> {
    let quoted = false;
    let slash = -1;
    for (let i = 1; i < stage.length; i++) {
      if (stage[i] === '"') quoted = !quoted;
      else if (stage[i] === '/' && !quoted) {
        slash = i;
        break;
      }
    }
    const nameParts = tokenizeSnowflake(slash < 0 ? stage.slice(1) : stage.slice(1, slash)).filter(
      (t) => t.kind === 'ident' || t.kind === 'word',
    );
    const last = nameParts[nameParts.length - 1];
    const stageName = last?.kind === 'ident' ? last.name : last?.kind === 'word' ? last.text.toUpperCase() : '';
    const external = this.externalStages.get(stageName);
    if (!external) {
      const folder = this.stageFolder(session, stage);
      return {
        folder,
        files: files ?? readdirSafe(folder),
        purge: async (file) => rmSync(join(folder, file), { force: true }),
        done: () => {},
      };
    }
    const path = slash < 0 ? '' : stage.slice(slash + 1).replace(/\/+$/, '');
    const storage = await this.externalStorage(external, path);
    const folder = mkdtempSync(join(tmpdir(), 'mage-int-snowflake-external-'));
    const failure = (error: unknown) =>
      new SnowflakeSqlError('091003', '22000', `Failure using stage area. Cause: [${(error as Error).message}]`);
    try {
      const names = files ?? [];
      if (!files) for await (const info of storage.list('')) names.push(info.key);
      for (const name of names) {
        const body = await storage.read(name);
        const target = join(folder, name);
        mkdirSync(dirname(target), { recursive: true });
        await pipeline(body, createWriteStream(target));
      }
      return {
        folder,
        files: names,
        purge: async (file) => {
          await storage.delete([file]).catch((error: unknown) => {
            throw failure(error);
          });
        },
        done: () => {
          rmSync(folder, { recursive: true, force: true });
          void storage.close();
        },
      };
    } catch (error) {
      rmSync(folder, { recursive: true, force: true });
      await storage.close();
      throw failure(error);
    }
  }

  /** A stage reference as a folder: table stages per schema and table, named stages by name (and a path under them). */
  private stageFolder(session: Session, stage: string): string {
    const tokens = tokenizeSnowflake(stage.slice(1).replace(/%/g, ' % '));
    const parts: string[] = [];
    let table = false;
    for (const t of tokens) {
      if (t.kind === 'ident') parts.push(t.name);
      else if (t.kind === 'word') parts.push(t.text.toUpperCase());
      else if (t.kind === 'punct' && t.text === '%') table = true;
      else if (t.kind === 'punct' && t.text === '/') parts.push('/');
    }
    const slash = parts.indexOf('/');
    const name = slash < 0 ? parts : parts.slice(0, slash);
    const sub = slash < 0 ? [] : parts.slice(slash + 1).filter((p) => p !== '/');
    if (table) {
      const [schema, tableName] = name.length === 1 ? [session.schema, name[0] as string] : [name[0] as string, name[1] as string];
      return join(this.stageRoot, 'table', schema, tableName, ...sub);
    }
    const stageName = name[name.length - 1] as string;
    if (!this.namedStages.has(stageName))
      throw new SnowflakeSqlError('002003', '02000', `SQL compilation error:\nStage '${stageName}' does not exist or not authorized.`);
    return join(this.stageRoot, 'named', stageName, ...sub);
  }

  private async put(session: Session, tokens: SfToken[]) {
    const source = tokens.find((t) => t.kind === 'string');
    const stage = tokens.find((t) => t.kind === 'stage');
    const file = source?.kind === 'string' ? source.value : '';
    if (!file.startsWith('file://') || !stage || stage.kind !== 'stage')
      throw new SnowflakeSqlError('001003', '42000', "SQL compilation error: PUT needs 'file://<path>' and a stage");
    const options = Object.fromEntries(
      [
        ...sfShape(tokens)
          .join(' ')
          .matchAll(/(\w+) = (\w+)/g),
      ].map((m) => [m[1] as string, m[2] as string]),
    );
    const location = this.stageFolder(session, stage.text);
    mkdirSync(location, { recursive: true });
    return {
      columns: [],
      rows: [],
      extra: {
        command: 'UPLOAD',
        src_locations: [file.slice('file://'.length)],
        autoCompress: options['AUTO_COMPRESS'] !== 'FALSE',
        sourceCompression: (options['SOURCE_COMPRESSION'] ?? 'auto_detect').toLowerCase(),
        parallel: 1,
        overwrite: options['OVERWRITE'] === 'TRUE',
        stageInfo: {
          locationType: 'LOCAL_FS',
          location: `${location}/`,
          path: '',
          region: null,
          creds: {},
          endPoint: null,
          isClientSideEncrypted: false,
        },
        encryptionMaterial: null,
        presignedUrls: [],
        statementTypeId: 0x6000 + 0x100,
      },
    };
  }

  private async describe(session: Session, tokens: SfToken[]) {
    const names = tokens.filter(
      (t) => t.kind === 'ident' || (t.kind === 'word' && !['DESCRIBE', 'DESC', 'TABLE'].includes(t.text.toUpperCase())),
    );
    const parts = names.map((t) => (t.kind === 'ident' ? t.name : (t as { text: string }).text.toUpperCase()));
    const [schema, table] =
      parts.length === 1 ? [session.schema, parts[0] as string] : [parts[parts.length - 2] as string, parts[parts.length - 1] as string];
    const described = await this.tableColumns(schema, table);
    return {
      columns: ['name', 'type', 'kind', 'null?', 'default', 'primary key', 'unique key'],
      rows: described.map((c) => [c.name, snowflakeTypeOf(c.type), 'COLUMN', c.nullable ? 'Y' : 'N', null, 'N', 'N']),
    };
  }

  private async tableColumns(schema: string, table: string): Promise<{ name: string; type: string; nullable: boolean }[]> {
    const result = await this.engine.read(
      `SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = ${duckString(schema)} AND table_name = ${duckString(table)} ORDER BY ordinal_position`,
    );
    if (result.rows.length === 0)
      throw new SnowflakeSqlError(
        '002003',
        '42S02',
        `SQL compilation error:\nTable '${schema}.${table}' does not exist or not authorized.`,
      );
    return result.rows.map((r) => ({ name: String(r['column_name']), type: String(r['data_type']), nullable: r['is_nullable'] === 'YES' }));
  }

  /** COPY INTO from staged CSV files with a transformation (the form the Snowflake destination sends, and plain `FROM @stage`). */
  private async copy(session: Session, tokens: SfToken[]) {
    const solid = tokens.filter((t) => t.kind !== 'space');
    const words = sfShape(tokens);
    if (words[1] !== 'INTO') throw new SnowflakeSqlError('001003', '42000', 'SQL compilation error: COPY INTO expected');
    // Target name: the names up to the column list.
    let i = 2;
    const names: string[] = [];
    while (i < solid.length && !(solid[i]?.kind === 'punct' && (solid[i] as { text: string }).text === '(')) {
      const t = solid[i] as SfToken;
      if (t.kind === 'ident') names.push(t.name);
      else if (t.kind === 'word' && t.text.toUpperCase() !== 'FROM') names.push(t.text.toUpperCase());
      else if (t.kind === 'word') break;
      i++;
    }
    const [schema, table] =
      names.length === 1 ? [session.schema, names[0] as string] : [names[names.length - 2] as string, names[names.length - 1] as string];
    const columns = await this.tableColumns(schema, table);
    const targetColumns: string[] = [];
    if (solid[i]?.kind === 'punct') {
      for (i++; i < solid.length && !(solid[i]?.kind === 'punct' && (solid[i] as { text: string }).text === ')'); i++) {
        const t = solid[i] as SfToken;
        if (t.kind === 'ident') targetColumns.push(t.name);
        else if (t.kind === 'word') targetColumns.push(t.text.toUpperCase());
      }
      i++;
    } else targetColumns.push(...columns.map((c) => c.name));
    // FROM ( SELECT exprs FROM @stage ) or FROM @stage.
    const fromIndex = tokens.findIndex((t, j) => t.kind === 'word' && t.text.toUpperCase() === 'FROM' && j > 0);
    const stageIndex = tokens.findIndex((t) => t.kind === 'stage');
    if (stageIndex < 0) throw new SnowflakeSqlError('001003', '42000', 'SQL compilation error: COPY INTO needs a stage');
    let expressions: SfToken[][];
    const selectIndex = tokens.findIndex((t, j) => j > fromIndex && t.kind === 'word' && t.text.toUpperCase() === 'SELECT');
    if (selectIndex > 0 && selectIndex < stageIndex) {
      let innerFrom = stageIndex - 1;
      while (!((tokens[innerFrom] as SfToken).kind === 'word' && (tokens[innerFrom] as { text: string }).text.toUpperCase() === 'FROM'))
        innerFrom--;
      expressions = selectList(tokens.slice(selectIndex + 1, innerFrom));
    } else {
      expressions = targetColumns.map((_, k) => [{ kind: 'positional', index: k + 1 } as SfToken]);
    }
    if (expressions.length !== targetColumns.length)
      throw new SnowflakeSqlError(
        '002020',
        '21S01',
        `SQL compilation error:\nInsert value list does not match column list expecting ${targetColumns.length} but got ${expressions.length}`,
      );
    const rest = tokens.slice(stageIndex + 1);
    const options = copyOptions(rest);
    const format = options.fileFormat;
    if ((format['TYPE'] ?? 'CSV') !== 'CSV') throw new SnowflakeSqlError('001003', '42000', 'the stand-in loads CSV files only');
    const located = await this.stageFiles(session, (tokens[stageIndex] as { text: string }).text, options.files);
    try {
      return await this.load(located, options.purge, { format, expressions, columns, targetColumns, schema, table });
    } finally {
      located.done();
    }
  }

  /** Loads staged CSV files into a table through DuckDB's CSV reader under the file format's options. */
  private async load(
    located: { folder: string; files: string[]; purge: (file: string) => Promise<void> },
    purge: boolean,
    plan: {
      format: Record<string, string>;
      expressions: SfToken[][];
      columns: { name: string; type: string }[];
      targetColumns: string[];
      schema: string;
      table: string;
    },
  ) {
    const { folder, files } = located;
    const { format, expressions, columns, targetColumns, schema, table } = plan;
    const width = Math.max(
      ...expressions.flatMap((e) => e.filter((t) => t.kind === 'positional').map((t) => (t as { index: number }).index)),
      0,
    );
    const compression = (format['COMPRESSION'] ?? 'AUTO').toUpperCase();
    const enclosed = format['FIELD_OPTIONALLY_ENCLOSED_BY'];
    const nullIf = format['NULL_IF'] === undefined ? ['\\N'] : (format['NULL_IF'] as unknown as string[]);
    if ((format['ESCAPE_UNENCLOSED_FIELD'] ?? '\\') !== 'NONE')
      throw new SnowflakeSqlError('001003', '42000', 'the stand-in reads CSV with ESCAPE_UNENCLOSED_FIELD = NONE only');
    const out: (string | null)[][] = [];
    for (const file of files) {
      const path = join(folder, file);
      const csvColumns = Array.from({ length: width }, (_, k) => `'c${k + 1}': 'VARCHAR'`).join(', ');
      const reader = `read_csv(${duckString(path)}, header = false, delim = ${duckString(format['FIELD_DELIMITER'] ?? ',')}, quote = ${duckString(enclosed && enclosed !== 'NONE' ? enclosed : '')}, escape = ${duckString(enclosed && enclosed !== 'NONE' ? enclosed : '')}, allow_quoted_nulls = false, compression = ${duckString(compression === 'GZIP' ? 'gzip' : compression === 'NONE' ? 'none' : 'auto')}, columns = {${csvColumns}}, strict_mode = true, nullstr = ${duckString(format['EMPTY_FIELD_AS_NULL'] === 'FALSE' ? '\u0001' : '')})`;
      const cell = (k: number) => {
        const ref = `"c${k}"`;
        return nullIf.length > 0 ? `CASE WHEN ${ref} IN (${nullIf.map(duckString).join(', ')}) THEN NULL ELSE ${ref} END` : ref;
      };
      const selects = expressions.map((expression, k) => {
        const column = columns.find((c) => c.name === targetColumns[k]);
        if (!column)
          throw new SnowflakeSqlError('000904', '42000', `SQL compilation error: error line 1 invalid identifier '"${targetColumns[k]}"'`);
        let sql = renderDuckdb(expression, cell);
        if (column.type === 'BLOB' && (format['BINARY_FORMAT'] ?? 'HEX') === 'HEX') sql = `unhex(${sql})`;
        return `CAST(${sql} AS ${column.type === 'TIMESTAMP WITH TIME ZONE' ? 'TIMESTAMPTZ' : column.type})`;
      });
      const counted = await this.engine.read(`SELECT count(*) AS n FROM ${reader}`);
      await this.engine.run(
        `INSERT INTO ${duckIdent(schema)}.${duckIdent(table)} (${targetColumns.map(duckIdent).join(', ')}) SELECT ${selects.join(', ')} FROM ${reader}`,
      );
      const n = String(counted.rows[0]?.['n'] ?? '0');
      out.push([file, 'LOADED', n, n, '1', '0', null, null, null, null]);
      if (purge) await located.purge(file);
    }
    return {
      columns: [
        'file',
        'status',
        'rows_parsed',
        'rows_loaded',
        'error_limit',
        'errors_seen',
        'first_error',
        'first_error_line',
        'first_error_character',
        'first_error_column_name',
      ],
      rows: out,
    };
  }
}

/** Starts a Snowflake stand-in on 127.0.0.1 (DuckDB in memory behind it). */
export function startSnowflakeStandIn(options: SnowflakeStandInOptions = {}): Promise<SnowflakeStandIn> {
  return SnowflakeStandIn.start(options);
}

/**
 * Snowflake's reserved keywords (docs.snowflake.com/en/sql-reference/reserved-keywords) cannot be unquoted
 * identifiers; the stand-in checks it where a statement names something after AS (a column or table alias).
 */
const RESERVED = new Set(
  (
    'ACCOUNT ALL ALTER AND ANY AS BETWEEN BY CASE CAST CHECK COLUMN CONNECT CONNECTION CONSTRAINT CREATE CROSS CURRENT ' +
    'CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER DATABASE DELETE DISTINCT DROP ELSE EXISTS FALSE FOLLOWING FOR ' +
    'FROM FULL GRANT GROUP GSCLUSTER HAVING ILIKE IN INCREMENT INNER INSERT INTERSECT INTO IS ISSUE JOIN LATERAL LEFT LIKE ' +
    'LOCALTIME LOCALTIMESTAMP MINUS NATURAL NOT NULL OF ON OR ORDER ORGANIZATION QUALIFY REGEXP REVOKE RIGHT RLIKE ROW ROWS ' +
    'SAMPLE SCHEMA SELECT SET SOME START TABLE TABLESAMPLE THEN TO TRIGGER TRUE TRY_CAST UNION UNIQUE UPDATE USING VALUES ' +
    'VIEW WHEN WHENEVER WHERE WITH'
  ).split(' '),
);

function refuseReservedAliases(tokens: SfToken[]): void {
  const solid = tokens.filter((t) => t.kind !== 'space');
  for (let i = 0; i + 1 < solid.length; i++) {
    const t = solid[i] as SfToken;
    const next = solid[i + 1] as SfToken;
    // (AS SELECT / AS WITH start a query: CREATE TABLE … AS SELECT.)
    const word = next.kind === 'word' ? next.text.toUpperCase() : '';
    if (t.kind === 'word' && t.text.toUpperCase() === 'AS' && RESERVED.has(word) && word !== 'SELECT' && word !== 'WITH')
      throw new SnowflakeSqlError('001003', '42000', `SQL compilation error:\nsyntax error line 1 unexpected '${word}'.`);
  }
}

/** The session's parameters as answers list them (`[{name, value}]`). */
function parametersOf(session: Session): { name: string; value: string | number | boolean }[] {
  return [...session.parameters].map(([name, value]) => ({ name, value }));
}

function ok(data: Record<string, unknown>): StandInResponse {
  return { status: 200, body: { success: true, code: null, message: null, data } };
}

function fail(code: string, message: string): StandInResponse {
  return { status: 200, body: { success: false, code, message, data: { errorCode: code, internalError: false } } };
}

function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** A DuckDB error as Snowflake's nearest: a missing object is 002003, a conversion 100038, anything else 001003. */
function duckError(error: unknown): SnowflakeSqlError {
  const message = (error as Error).message ?? String(error);
  if (/Catalog Error: .* does not exist/.test(message))
    return new SnowflakeSqlError('002003', '42S02', `SQL compilation error:\n${message.replace(/^Catalog Error: /, '')}`);
  if (/Conversion Error|Invalid Input Error|Could not convert|Out of Range/i.test(message))
    return new SnowflakeSqlError('100038', '22018', `Numeric value or value conversion failed: ${message}`);
  if (/Constraint Error/.test(message)) return new SnowflakeSqlError('100072', '22000', message);
  return new SnowflakeSqlError('001003', '42000', `SQL compilation error:\n${message}`);
}

function readdirSafe(folder: string): string[] {
  try {
    return readdirSync(folder).sort();
  } catch {
    return [];
  }
}

/** A select list split at its top-level commas. */
function selectList(tokens: SfToken[]): SfToken[][] {
  return splitTopLevel(tokens).filter((e) => e.some((t) => t.kind !== 'space'));
}

/** FILES = ('a', 'b'), FILE_FORMAT = (KEY = value …), PURGE = TRUE|FALSE from the tokens after the stage. */
function copyOptions(tokens: SfToken[]): { files?: string[]; fileFormat: Record<string, string>; purge: boolean } {
  const solid = tokens.filter((t) => t.kind !== 'space');
  const word = (t: SfToken | undefined) => (t?.kind === 'word' ? t.text.toUpperCase() : undefined);
  let files: string[] | undefined;
  const fileFormat: Record<string, string> = {};
  let purge = false;
  for (let i = 0; i < solid.length; i++) {
    const key = word(solid[i]);
    if (key === 'FILES') {
      files = [];
      for (i += 3; i < solid.length && !(solid[i]?.kind === 'punct' && (solid[i] as { text: string }).text === ')'); i++)
        if (solid[i]?.kind === 'string') files.push((solid[i] as { value: string }).value);
    } else if (key === 'FILE_FORMAT') {
      for (i += 3; i < solid.length && !(solid[i]?.kind === 'punct' && (solid[i] as { text: string }).text === ')'); ) {
        const name = word(solid[i]) as string;
        const value = solid[i + 2] as SfToken;
        if (value?.kind === 'punct' && value.text === '(') {
          const list: string[] = [];
          let j = i + 3;
          for (; !(solid[j]?.kind === 'punct' && (solid[j] as { text: string }).text === ')'); j++)
            if (solid[j]?.kind === 'string') list.push((solid[j] as { value: string }).value);
          (fileFormat as Record<string, unknown>)[name] = list;
          i = j + 1;
        } else {
          fileFormat[name] =
            value?.kind === 'string'
              ? value.value
              : value?.kind === 'word'
                ? value.text.toUpperCase()
                : value?.kind === 'number'
                  ? value.text
                  : '';
          i += 3;
        }
      }
    } else if (key === 'PURGE') {
      purge = word(solid[i + 2]) === 'TRUE';
    }
  }
  return { ...(files ? { files } : {}), fileFormat, purge };
}
