// A stand-in for Amazon Redshift, for tests: it is not Redshift. A real PostgreSQL (a fresh database on
// 127.0.0.1:5432) behind a small proxy of the PostgreSQL wire protocol (which Redshift speaks too, so `pg` connects to
// it as to a cluster endpoint). The proxy passes every message through, except statements it must handle the way
// Redshift's documentation describes them (docs.aws.amazon.com/redshift/latest/dg/):
//
// - COPY <table> [(cols)] FROM 's3://bucket/prefix' IAM_ROLE '<arn>' | CREDENTIALS '…' | ACCESS_KEY_ID … FORMAT CSV
//   [QUOTE, DELIMITER, GZIP, NULL AS, EMPTYASNULL, ROUNDEC, TIMEFORMAT, DATEFORMAT, REGION, IGNOREHEADER,
//   COMPUPDATE, STATUPDATE]: every object whose key starts with the prefix (COPY's prefix match; none is an error) is
//   read from S3 (s3rver in tests) with the stand-in's own S3 client, unzipped, parsed as Redshift's CSV, checked
//   against the columns' types the way COPY checks them (VARCHAR lengths in bytes, NUMERIC overflow, the default
//   date/time formats unless 'auto', decimals truncated to the scale unless ROUNDEC, empty unquoted fields NULL
//   except for CHAR/VARCHAR), and fed to PostgreSQL by COPY FROM STDIN on the same session — so it is part of the
//   session's transaction, as Redshift's COPY is. The role must be one the stand-in was told (`iamRoles`), or the
//   keys S3's; anything else is refused as Redshift refuses it (S3ServiceException: Access Denied).
// - UNLOAD ('select …') TO 's3://bucket/prefix' … FORMAT CSV [HEADER, GZIP, PARALLEL, ALLOWOVERWRITE, NULL AS,
//   DELIMITER]: runs the query on the session and writes one object (`<prefix>000` with PARALLEL OFF, else
//   `<prefix>0000_part_00`; `.gz` with GZIP); a non-empty destination without ALLOWOVERWRITE is refused.
// - SUPER is a domain over jsonb, VARBYTE one over bytea; JSON_PARSE, JSON_SERIALIZE, FROM_HEX, TO_HEX and GETDATE
//   are SQL functions; scalars assign to SUPER (as Redshift converts them); the session's time zone is UTC.
//   SVV_COLUMNS and SVV_TABLES are views over information_schema naming types as Redshift does (`super`);
//   SVV_TABLE_INFO's tbl_rows is PostgreSQL's estimate (reltuples: 0 until the table is analyzed).
// - CREATE TABLE loses PRIMARY KEY / UNIQUE (Redshift only declares them: duplicates load) and its table attributes
//   (DISTSTYLE, DISTKEY, SORTKEY, ENCODE AUTO, BACKUP), recorded in `tableAttributes`.
// - Refused, as Redshift refuses them: ON CONFLICT, RETURNING, array types, JSONB/JSON/BYTEA/UUID/…, ADD COLUMN IF NOT
//   EXISTS, ALTER COLUMN TYPE to anything but VARCHAR, VARCHAR over 65535, NUMERIC over 38 digits, COPY FROM STDIN,
//   MERGE from a subquery or with conditions on (or more than one of) its WHEN clauses.
//
// What it does not check: Redshift's other SQL differences (PostgreSQL accepts much Redshift does not: the golden
// files and the live test cover the connector's SQL), MERGE's run-time rules (a source row matching several), distribution and sort order, leader-node-only
// functions, the 4 MB row limit, concurrency (serializable isolation), cost, and IAM policies beyond the role's name.
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket, connect } from 'node:net';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  commandComplete,
  copyData,
  copyDone,
  dataRowValues,
  queryMessage,
  readCString,
  rowDescriptionNames,
  readyForQuery,
  replaceParseQuery,
  splitMessages,
  type WireMessage,
} from './pg-wire.js';
import {
  parseCopy,
  parseRedshiftCsv,
  parseUnload,
  pgTextValue,
  RedshiftRefusal,
  splitStatements,
  translateStatement,
  unloadCsvField,
  type CopyStatement,
  type S3Authorization,
  type TableAttributes,
  type UnloadStatement,
} from './redshift-sql.js';

export interface RedshiftStandInOptions {
  /** The S3 endpoint COPY and UNLOAD read and write (s3rver), with its keys; the stand-in's own S3 client uses them. */
  s3: { endpoint: string; region: string; accessKeyId: string; secretAccessKey: string };
  /** IAM role ARNs the "cluster" may assume for COPY/UNLOAD (IAM_ROLE '<arn>'). */
  iamRoles?: string[];
  /** The PostgreSQL server behind it (default 127.0.0.1:5432, user postgres). */
  postgres?: { host?: string; port?: number; user?: string; password?: string };
}

export interface RedshiftStandIn {
  host: string;
  port: number;
  database: string;
  user: string;
  /** Every statement a client sent (after COPY/UNLOAD were handled or the SQL was translated), in order. */
  statements: string[];
  /** Each COPY from S3: the table, the objects read, the rows loaded. */
  copies: { table: string; url: string; keys: string[]; rows: number; auth: S3Authorization }[];
  /** Each UNLOAD: the objects written and the rows. */
  unloads: { url: string; keys: string[]; rows: number }[];
  /** CREATE TABLE attributes (DISTKEY, SORTKEY …) and declared keys, per table. */
  tableAttributes: TableAttributes[];
  /** A query on the database behind it (admin connection, outside any client session). */
  query(sql: string, values?: unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/** What the stand-in installs in its database so Redshift's names exist (see the header). */
const COMPATIBILITY_SQL = [
  `CREATE DOMAIN public.super AS jsonb`,
  `CREATE DOMAIN public.varbyte AS bytea`,
  `CREATE FUNCTION public.json_parse(text) RETURNS jsonb LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT $1::jsonb $$`,
  `CREATE FUNCTION public.json_serialize(jsonb) RETURNS varchar LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT $1::text $$`,
  `CREATE FUNCTION public.from_hex(text) RETURNS bytea LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT decode($1, 'hex') $$`,
  `CREATE FUNCTION public.to_hex(bytea) RETURNS varchar LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT encode($1, 'hex') $$`,
  `CREATE FUNCTION public.getdate() RETURNS timestamp LANGUAGE sql STABLE AS $$ SELECT (statement_timestamp() AT TIME ZONE 'UTC')::timestamp $$`,
  ...['bigint', 'integer', 'smallint', 'numeric', 'double precision', 'boolean', 'character varying'].flatMap((type) => {
    const name = `mage_to_super_${type.replace(/ /g, '_')}`;
    return [
      `CREATE FUNCTION public.${name}(${type}) RETURNS jsonb LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT to_jsonb($1) $$`,
      `CREATE CAST (${type} AS jsonb) WITH FUNCTION public.${name}(${type}) AS ASSIGNMENT`,
    ];
  }),
  `CREATE VIEW public.svv_columns AS SELECT table_catalog::varchar, table_schema::varchar, table_name::varchar,
     column_name::varchar, ordinal_position::int, column_default::varchar, is_nullable::varchar,
     (CASE WHEN domain_name IN ('super', 'varbyte') THEN domain_name ELSE data_type END)::varchar AS data_type,
     character_maximum_length::int, numeric_precision::int, numeric_precision_radix::int, numeric_scale::int,
     NULL::varchar AS remarks
     FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`,
  `CREATE VIEW public.svv_table_info AS SELECT n.nspname::varchar AS "schema", c.relname::varchar AS "table",
     GREATEST(c.reltuples, 0)::bigint AS tbl_rows
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_temp%'`,
  `CREATE VIEW public.svv_tables AS SELECT table_catalog::varchar, table_schema::varchar, table_name::varchar,
     table_type::varchar, NULL::varchar AS remarks
     FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`,
];

interface PgClient {
  connect(): Promise<void>;
  query(sql: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  end(): Promise<void>;
}
type PgModule = { default: { Client: new (options: Record<string, unknown>) => PgClient } };

interface S3Like {
  list(bucket: string, prefix: string): Promise<string[]>;
  get(bucket: string, key: string): Promise<Buffer>;
  put(bucket: string, key: string, body: Buffer): Promise<void>;
  close(): void;
}

/** The stand-in's own S3 client (the AWS SDK, an optional peer dependency of the testkit), path-style, for s3rver. */
async function s3Client(options: RedshiftStandInOptions['s3']): Promise<S3Like> {
  process.env['AWS_EC2_METADATA_DISABLED'] = 'true';
  const sdk = (await import('@aws-sdk/client-s3' as string)) as typeof import('@aws-sdk/client-s3');
  const client = new sdk.S3Client({
    endpoint: options.endpoint,
    region: options.region,
    forcePathStyle: true,
    credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    async list(bucket, prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }),
        );
        for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys.sort();
    },
    async get(bucket, key) {
      const object = await client.send(new sdk.GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
    },
    async put(bucket, key, body) {
      await client.send(new sdk.PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    },
    close: () => client.destroy(),
  };
}

let databases = 0;

/** Starts the stand-in: a fresh database on the PostgreSQL server and the proxy on 127.0.0.1 at a random port. */
export async function startRedshiftStandIn(options: RedshiftStandInOptions): Promise<RedshiftStandIn> {
  const pgServer = { host: '127.0.0.1', port: 5432, user: 'postgres', ...options.postgres };
  const pg = ((await import('pg' as string)) as PgModule).default;
  const database = `mage_redshift_${process.pid}_${++databases}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Client({ ...pgServer, database: 'postgres' });
  await admin.connect();
  await dropStaleDatabases(admin);
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.query(`ALTER DATABASE ${database} SET timezone TO 'UTC'`);
  const db = new pg.Client({ ...pgServer, database });
  await db.connect();
  for (const sql of COMPATIBILITY_SQL) await db.query(sql);
  const s3 = await s3Client(options.s3);
  const state: Pick<RedshiftStandIn, 'statements' | 'copies' | 'unloads' | 'tableAttributes'> = {
    statements: [],
    copies: [],
    unloads: [],
    tableAttributes: [],
  };
  const sessions = new Set<ProxySession>();
  const server: Server = createServer((client) => {
    const session = new ProxySession(client, pgServer, options, s3, state);
    sessions.add(session);
    client.on('close', () => sessions.delete(session));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    host: '127.0.0.1',
    port: (server.address() as AddressInfo).port,
    database,
    user: pgServer.user,
    ...state,
    query: async (sql, values) => (await db.query(sql, values)).rows,
    async close() {
      for (const session of sessions) session.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.end();
      await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await admin.end();
      s3.close();
    },
  };
}

/** Drops the databases of stand-ins whose process is gone (killed before `close`): `mage_redshift_<pid>_…`. */
async function dropStaleDatabases(admin: PgClient): Promise<void> {
  const { rows } = await admin.query(`SELECT datname FROM pg_database WHERE datname LIKE 'mage\\_redshift\\_%'`);
  for (const row of rows) {
    const name = String(row['datname']);
    const pid = Number(/^mage_redshift_(\d+)_/.exec(name)?.[1]);
    if (!pid || pid === process.pid || processAlive(pid)) continue;
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** SSLRequest and GSSENCRequest codes (answered 'N': the stand-in speaks plain TCP, like `ssl_mode: disable`). */
const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;

type Interceptor = (message: WireMessage) => void;

/** One client connection and its own connection to PostgreSQL. */
class ProxySession {
  private readonly server: Socket;
  private clientBuffer: Buffer = Buffer.alloc(0);
  private serverBuffer: Buffer = Buffer.alloc(0);
  private started = false;
  private queue: Promise<void> = Promise.resolve();
  private interceptor: Interceptor | undefined;

  constructor(
    private readonly client: Socket,
    pgServer: { host: string; port: number },
    private readonly options: RedshiftStandInOptions,
    private readonly s3: S3Like,
    private readonly state: Pick<RedshiftStandIn, 'statements' | 'copies' | 'unloads' | 'tableAttributes'>,
  ) {
    this.server = connect(pgServer.port, pgServer.host);
    this.server.on('data', (data: Buffer) => this.fromServer(data));
    this.server.on('close', () => client.destroy());
    this.server.on('error', () => client.destroy());
    client.on('data', (data: Buffer) => this.fromClient(data));
    client.on('close', () => this.server.destroy());
    client.on('error', () => this.server.destroy());
  }

  destroy(): void {
    this.client.destroy();
    this.server.destroy();
  }

  private fromClient(data: Buffer): void {
    this.clientBuffer = Buffer.concat([this.clientBuffer, data]);
    while (!this.started) {
      if (this.clientBuffer.length < 8) return;
      const length = this.clientBuffer.readInt32BE(0);
      if (this.clientBuffer.length < length) return;
      const code = this.clientBuffer.readInt32BE(4);
      const packet = this.clientBuffer.subarray(0, length);
      this.clientBuffer = this.clientBuffer.subarray(length);
      if (code === SSL_REQUEST || code === GSS_REQUEST) this.client.write('N');
      else {
        this.server.write(packet);
        this.started = true;
      }
    }
    const { messages, rest } = splitMessages(this.clientBuffer);
    this.clientBuffer = rest;
    for (const message of messages) {
      this.queue = this.queue.then(() => this.handleClient(message)).catch(() => this.destroy());
    }
  }

  private fromServer(data: Buffer): void {
    this.serverBuffer = Buffer.concat([this.serverBuffer, data]);
    const { messages, rest } = splitMessages(this.serverBuffer);
    this.serverBuffer = rest;
    for (const message of messages) {
      if (this.interceptor) this.interceptor(message);
      else this.client.write(message.raw);
    }
  }

  private async handleClient(message: WireMessage): Promise<void> {
    if (message.type === 'Q') return this.simpleQuery(readCString(message.body).text);
    if (message.type === 'P') {
      const name = readCString(message.body, 0);
      const sql = readCString(message.body, name.end).text;
      let translated: string;
      try {
        const statements = splitStatements(sql);
        if (statements.some((s) => parseCopy(s) || parseUnload(s)))
          throw new RedshiftRefusal('the Redshift stand-in runs COPY from S3 and UNLOAD only as simple queries', '0A000');
        translated = statements.map((s) => translateStatement(s).sql).join(';');
      } catch (error) {
        translated = raiseSql(error);
      }
      this.state.statements.push(translated);
      this.server.write(replaceParseQuery(message.body, translated));
      return;
    }
    this.server.write(message.raw);
  }

  /** A simple Query: COPY from S3 and UNLOAD handled here, anything else translated and passed on. */
  private async simpleQuery(sql: string): Promise<void> {
    let forward: string;
    try {
      const statements = splitStatements(sql);
      const only = statements.length === 1 ? statements[0] : undefined;
      const copy = only ? parseCopy(only) : undefined;
      if (copy) return await this.copyFromS3(copy);
      const unload = only ? parseUnload(only) : undefined;
      if (unload) return await this.unload(unload);
      if (statements.some((s) => parseCopy(s) || parseUnload(s)))
        throw new RedshiftRefusal('the Redshift stand-in runs COPY from S3 and UNLOAD only as a statement of their own', '0A000');
      forward = statements
        .map((s) => {
          const translated = translateStatement(s);
          if (translated.attributes) this.state.tableAttributes.push(translated.attributes);
          return translated.sql;
        })
        .join(';');
    } catch (error) {
      forward = raiseSql(error);
    }
    this.state.statements.push(forward);
    this.server.write(queryMessage(forward === '' ? ';' : forward));
  }

  /**
   * Sends a query to PostgreSQL on this session and collects its column names and rows; nothing of the answer goes
   * to the client (the caller passes an error on).
   */
  private runInternal(sql: string): Promise<{ fields: string[]; rows: (string | null)[][]; error?: WireMessage; ready: WireMessage }> {
    return new Promise((resolve) => {
      const rows: (string | null)[][] = [];
      const fields: string[] = [];
      let error: WireMessage | undefined;
      this.interceptor = (message) => {
        if (message.type === 'D') rows.push(dataRowValues(message.body));
        else if (message.type === 'T') fields.push(...rowDescriptionNames(message.body));
        else if (message.type === 'E') error = message;
        else if (message.type === 'Z') {
          this.interceptor = undefined;
          resolve({ fields, rows, ready: message, ...(error ? { error } : {}) });
        }
      };
      this.server.write(queryMessage(sql));
    });
  }

  /** Sends `sql` to PostgreSQL and passes its whole answer to the client (used for refusals and the COPY itself). */
  private runForwarded(sql: string, onCopyIn?: () => void): Promise<void> {
    return new Promise((resolve) => {
      this.interceptor = (message) => {
        if (message.type === 'G' && onCopyIn) {
          onCopyIn();
          return;
        }
        this.client.write(message.raw);
        if (message.type === 'Z') {
          this.interceptor = undefined;
          resolve();
        }
      };
      this.state.statements.push(sql);
      this.server.write(queryMessage(sql));
    });
  }

  /** Fails the statement on PostgreSQL (so an open transaction is aborted, as Redshift's would be) with `error`. */
  private refuse(error: unknown): Promise<void> {
    return this.runForwarded(raiseSql(error));
  }

  /** Checks a COPY's or UNLOAD's authorization: a known IAM role, or S3's own keys. */
  private authorize(auth: S3Authorization): void {
    if (auth.iamRole) {
      if (!(this.options.iamRoles ?? []).includes(auth.iamRole))
        throw new RedshiftRefusal(
          `S3ServiceException:Access Denied,Status 403: User arn:aws:redshift:stand-in is not authorized to assume IAM Role ${auth.iamRole}`,
          'XX000',
        );
      return;
    }
    if (!auth.accessKeyId || !auth.secretAccessKey)
      throw new RedshiftRefusal(
        "Invalid credentials. Must be of the format: credentials 'aws_iam_role=...' or 'aws_access_key_id=...;aws_secret_access_key=...[;token=...]'",
        '22023',
      );
    if (auth.accessKeyId !== this.options.s3.accessKeyId || auth.secretAccessKey !== this.options.s3.secretAccessKey)
      throw new RedshiftRefusal('S3ServiceException:The AWS Access Key Id you provided does not exist in our records.,Status 403', 'XX000');
  }

  private async copyFromS3(copy: CopyStatement): Promise<void> {
    try {
      this.authorize(copy.auth);
      if (copy.region && copy.region !== this.options.s3.region)
        throw new RedshiftRefusal(
          `S3ServiceException:The bucket you are attempting to access must be addressed using the specified endpoint (region ${copy.region}),Status 301`,
          'XX000',
        );
    } catch (error) {
      return this.refuse(error);
    }
    const { bucket, key: prefix } = s3Path(copy.url);
    let keys: string[];
    let texts: string[];
    try {
      keys = await this.s3.list(bucket, prefix);
      if (keys.length === 0) throw new RedshiftRefusal(`The specified S3 prefix '${prefix}' does not exist`, 'XX000');
      texts = [];
      for (const key of keys) {
        const body = await this.s3.get(bucket, key);
        if (copy.gzip && !(body[0] === 0x1f && body[1] === 0x8b))
          throw new RedshiftRefusal(
            `gzip: unexpected end of stream. Unknown zlib error code. zlib error code: -1 (s3://${bucket}/${key} is not gzip)`,
            'XX000',
          );
        texts.push((copy.gzip ? gunzipSync(body) : body).toString('utf8'));
      }
    } catch (error) {
      return this.refuse(
        error instanceof RedshiftRefusal ? error : new RedshiftRefusal(`S3ServiceException:${(error as Error).message}`, 'XX000'),
      );
    }
    const types = await this.runInternal(
      `SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a WHERE a.attrelid = ${sqlString(copy.table)}::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    );
    if (types.error) {
      this.client.write(types.error.raw);
      this.client.write(types.ready.raw);
      return;
    }
    const byName = new Map(types.rows.map((r) => [r[0] as string, r[1] as string]));
    const columns = copy.columns.length > 0 ? copy.columns : types.rows.map((r) => r[0] as string);
    let data: string;
    let rows = 0;
    try {
      const lines: string[] = [];
      for (const [fileIndex, text] of texts.entries()) {
        const records = parseRedshiftCsv(text, copy.delimiter, copy.quote).slice(copy.ignoreHeader);
        for (const [line, record] of records.entries()) {
          if (record.length < columns.length)
            throw loadError(copy, keys[fileIndex] as string, line + 1, 'Delimiter not found (fewer fields than columns)');
          if (record.length > columns.length) throw loadError(copy, keys[fileIndex] as string, line + 1, 'Extra column(s) found');
          const values = record.map((field, i) => {
            const column = columns[i] as string;
            const type = byName.get(column);
            if (type === undefined) throw new RedshiftRefusal(`column "${column}" of relation ${copy.table} does not exist`, '42703');
            try {
              return fieldValue(field, type, copy);
            } catch (error) {
              throw loadError(copy, keys[fileIndex] as string, line + 1, `${(error as Error).message} (column ${column}, type ${type})`);
            }
          });
          lines.push(values.map(pgTextValue).join('\t'));
          rows++;
        }
      }
      data = lines.length > 0 ? `${lines.join('\n')}\n` : '';
    } catch (error) {
      return this.refuse(error);
    }
    this.state.copies.push({ table: copy.table, url: copy.url, keys, rows, auth: copy.auth });
    const columnList = columns.map((c) => `"${c.replace(/"/g, '""')}"`).join(', ');
    await this.runForwarded(`COPY ${copy.table} (${columnList}) FROM STDIN`, () => {
      const bytes = Buffer.from(data, 'utf8');
      for (let offset = 0; offset < bytes.length; offset += 65536) this.server.write(copyData(bytes.subarray(offset, offset + 65536)));
      this.server.write(copyDone());
    });
  }

  private async unload(unload: UnloadStatement): Promise<void> {
    try {
      this.authorize(unload.auth);
    } catch (error) {
      return this.refuse(error);
    }
    const { bucket, key: prefix } = s3Path(unload.url);
    try {
      if (!unload.allowOverwrite && (await this.s3.list(bucket, prefix)).length > 0)
        throw new RedshiftRefusal(
          `Specified unload destination on S3 is not empty. Consider using a different bucket / prefix, manually removing the target files in S3, or using the ALLOWOVERWRITE option.`,
          'XX000',
        );
    } catch (error) {
      return this.refuse(error);
    }
    const result = await this.runInternal(`SELECT * FROM (${unload.select}) AS mage_unload`);
    if (result.error) {
      this.client.write(result.error.raw);
      this.client.write(result.ready.raw);
      return;
    }
    const header = unload.header
      ? `${result.fields.map((f) => unloadCsvField(f, unload.delimiter, unload.nullAs)).join(unload.delimiter)}\n`
      : '';
    const text = `${header}${result.rows.map((row) => `${row.map((v) => unloadCsvField(v, unload.delimiter, unload.nullAs)).join(unload.delimiter)}\n`).join('')}`;
    const key = `${prefix}${unload.parallel ? '0000_part_00' : '000'}${unload.gzip ? '.gz' : ''}`;
    try {
      await this.s3.put(bucket, key, unload.gzip ? gzipSync(text) : Buffer.from(text, 'utf8'));
    } catch (error) {
      return this.refuse(new RedshiftRefusal(`S3ServiceException:${(error as Error).message}`, 'XX000'));
    }
    this.state.unloads.push({ url: unload.url, keys: [key], rows: result.rows.length });
    this.state.statements.push(`UNLOAD ('${unload.select}') TO '${unload.url}'`);
    this.client.write(commandComplete('UNLOAD'));
    this.client.write(readyForQuery(String.fromCharCode(result.ready.body[0] as number)));
  }
}

/** `s3://bucket/key…` split. */
function s3Path(url: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!match) throw new RedshiftRefusal(`invalid S3 path ${url}`, '22023');
  return { bucket: match[1] as string, key: match[2] as string };
}

function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** A DO block that raises `error` on PostgreSQL with its SQLSTATE. */
function raiseSql(error: unknown): string {
  const refusal = error instanceof RedshiftRefusal ? error : new RedshiftRefusal((error as Error).message ?? String(error), 'XX000');
  return `DO $mage_rs$BEGIN RAISE EXCEPTION USING MESSAGE = ${sqlString(`[redshift stand-in] ${refusal.message}`)}, ERRCODE = '${refusal.sqlState}'; END$mage_rs$`;
}

function loadError(copy: CopyStatement, key: string, line: number, reason: string): RedshiftRefusal {
  return new RedshiftRefusal(
    `Load into table '${copy.table}' failed: ${reason} at s3://…/${key} line ${line}. Check 'sys_load_error_detail' system table for details.`,
    'XX000',
  );
}

const DEFAULT_TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?$/;
const DEFAULT_TIMESTAMPTZ = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}(:?\d{2})?)?$/;

/** One CSV field as COPY loads it into a column of `type` (format_type's spelling), or null. */
function fieldValue(field: { text: string; quoted: boolean }, type: string, copy: CopyStatement): string | null {
  const isChar = /^(character varying|character)\b/.test(type);
  if (!field.quoted && copy.nullAs !== undefined && field.text === copy.nullAs) return null;
  if (field.text === '' && (!field.quoted || copy.emptyAsNull)) return isChar && !copy.emptyAsNull ? '' : null;
  const value = field.text;
  if (value.includes('\0')) throw new Error('Invalid null byte (NUL) in the data');
  if (type === 'super' || type === 'varbyte')
    throw new Error('the stand-in does not emulate COPY from CSV into SUPER/VARBYTE (stage as VARCHAR and use JSON_PARSE/FROM_HEX)');
  const length = /^character varying\((\d+)\)$/.exec(type) ?? /^character\((\d+)\)$/.exec(type);
  if (length && Buffer.byteLength(value, 'utf8') > Number(length[1]))
    throw new Error(`String length exceeds DDL length (${Buffer.byteLength(value, 'utf8')} bytes > ${length[1]})`);
  const numeric = /^numeric\((\d+),(\d+)\)$/.exec(type);
  if (numeric) {
    const [, p, s] = numeric.map(Number) as [number, number, number];
    const match = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(value.trim());
    if (!match) throw new Error(`Invalid digit, Value '${value}'`);
    const integer = (match[2] ?? '').replace(/^0+(?=\d)/, '');
    if (integer.replace(/^0$/, '').length > p - s) throw new Error(`Overflow for NUMERIC(${p},${s})`);
    const fraction = match[3] ?? '';
    // Without ROUNDEC COPY truncates digits beyond the scale (docs: ROUNDEC); PostgreSQL would round, so cut here.
    if (!copy.roundec && fraction.length > s) return `${match[1]}${integer || '0'}${s > 0 ? `.${fraction.slice(0, s)}` : ''}`;
    return value.trim();
  }
  if (type.startsWith('timestamp') && copy.timeformat === undefined) {
    const pattern = type === 'timestamp with time zone' ? DEFAULT_TIMESTAMPTZ : DEFAULT_TIMESTAMP;
    if (!pattern.test(value)) throw new Error(`Invalid timestamp format or value [YYYY-MM-DD HH24:MI:SS] '${value}'`);
  }
  if (type === 'date' && copy.dateformat === undefined && !/^\d{4}-\d{2}-\d{2}$/.test(value))
    throw new Error(`Invalid Date Format - length must be 10 or more '${value}'`);
  return value;
}
