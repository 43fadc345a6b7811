// A stand-in for a MongoDB replica-set primary, for tests of code that talks to MongoDB through the official `mongodb`
// driver. It is not MongoDB: it is a TCP server on 127.0.0.1 (a random port) that speaks the wire protocol as MongoDB's
// reference documents it (wire.ts: OP_MSG with kind-0 and kind-1 sections; OP_QUERY/OP_REPLY only for the legacy
// `isMaster` handshake) with documents encoded by the `bson` package, and answers the commands below as the
// "Database Commands" reference describes them, over an in-memory store. No MongoDB code is in it.
//
// - hello / isMaster: a one-member replica set (`setName`, `hosts` = its own address, `isWritablePrimary`), or with
//   `topology: 'standalone'` a single server (no setName, no cluster times, $changeStream refused with 40573); wire
//   versions 0–21, `logicalSessionTimeoutMinutes` (so the driver sends sessions), `saslSupportedMechs` when asked.
//   Every answer carries `operationTime` and `$clusterTime` (an unsigned cluster time: signature hash of zeros).
// - saslStart / saslContinue: SCRAM-SHA-256 (scram.ts) for the users given to `start`; a wrong password or unknown
//   user is error 18 AuthenticationFailed, a command before login 13 Unauthorized, a command outside the user's roles
//   (read, readWrite, readAnyDatabase, root) 13 Unauthorized. `connectionStatus` (with `showPrivileges`) reports the
//   user, roles and privileges the way the reference shows them. Without users, authentication is off.
// - ping, buildInfo, endSessions, listDatabases, listCollections, create, drop, dropDatabase, count.
// - find (filter, sort, projection, skip, limit, batchSize, singleBatch, hint on `_id`, min/max on `_id`), getMore,
//   killCursors: a find cursor holds the result as of the find; an unknown or killed cursor is error 43
//   CursorNotFound (`killAllCursors()` does what a server restart or the idle timeout does to open cursors).
// - aggregate: $match, $sort, $limit, $skip, $project, $sample (random documents, no repeats), $count; or
//   $changeStream first (collection- or database-level) with fullDocument `default`/`updateLookup`, resumeAfter,
//   startAfter, startAtOperationTime, then $match stages on the event; getMore on it waits for events up to its
//   maxTimeMS and every batch carries `postBatchResumeToken`. Events: insert, update (updateDescription), replace,
//   delete, drop (+ invalidate on a collection stream, which then closes), dropDatabase (+ invalidate).
// - insert / update ($set, $unset, $inc or a replacement; upsert; multi) / delete, each recorded in an oplog that keeps
//   `oplogSize` entries: a resume point older than its oldest entry is error 286 ChangeStreamHistoryLost with the
//   `NonResumableChangeStreamError` label (`truncateOplog()` empties it on demand).
//
// Resume tokens are `{_data: <hex>}` of (cluster time, event number within it): opaque to clients as MongoDB's are,
// but not MongoDB's KeyString format. Not modelled: indexes other than `_id`, collations, transactions (refused with
// 20 IllegalOperation), read/write concerns (accepted, not honoured), multiple members, elections, sharding,
// compression, the query operators query.ts does not list, pre-images, and every server limit beyond the 16 MiB
// document size the driver checks itself.
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { Binary, BSON, EJSON, Int32, Long, ObjectId, Timestamp, type Document } from 'bson';
import { applyUpdate, bsonEquals, compareBson, matches, project, QueryError, sortComparator, structuredCloneDoc } from './query.js';
import { ScramConversation, scramCredential, type ScramCredential } from './scram.js';
import { MORE_TO_COME, OP_MSG, opMsgReply, opReply, parseMessage, takeMessages, type WireCommand } from './wire.js';

export interface MongoStandInUser {
  user: string;
  password: string;
  /** Roles as MongoDB names them: `read`, `readWrite` on a database; `readAnyDatabase`, `root` on `admin`. */
  roles: { role: 'read' | 'readWrite' | 'readAnyDatabase' | 'root'; db: string }[];
  /** The database the user is defined in (default `admin`). */
  db?: string;
}

export interface MongoStandInOptions {
  /** Users for SCRAM-SHA-256; none means authentication is off. */
  users?: MongoStandInUser[];
  /** Oplog entries kept (default 100000); older resume points get ChangeStreamHistoryLost. */
  oplogSize?: number;
  /** Replica set name (default `standin-rs`). */
  setName?: string;
  /** `standalone`: answers as a single server that is no replica-set member (no setName, no cluster time, no change streams). */
  topology?: 'replicaSet' | 'standalone';
}

/** A command failure as the server reports it: `{ok: 0, errmsg, code, codeName}`. */
class CommandError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly codeName: string,
    readonly errorLabels?: string[],
  ) {
    super(message);
  }
}

interface StoredCollection {
  docs: Map<string, Document>;
  uuid: Binary;
}

type OpType = 'insert' | 'update' | 'replace' | 'delete' | 'drop' | 'dropDatabase';

interface OplogEntry {
  ts: bigint;
  wallTime: Date;
  db: string;
  coll?: string;
  op: OpType;
  documentKey?: Document;
  fullDocument?: Document;
  updateDescription?: Document;
}

/** A position in the change history: strictly after (ts, sub). sub 255 = after everything at ts. */
interface Position {
  ts: bigint;
  sub: number;
}

interface FindCursor {
  kind: 'find';
  ns: string;
  docs: Document[];
  offset: number;
  limit: number;
}

interface ChangeCursor {
  kind: 'change';
  ns: string;
  db: string;
  coll?: string;
  fullDocument: string;
  filters: Document[];
  position: Position;
  closed: boolean;
}

type Cursor = FindCursor | ChangeCursor;

interface Connection {
  id: number;
  user?: MongoStandInUser;
  conversation?: { id: number; scram: ScramConversation; done: boolean };
}

const READ_ACTIONS = ['changeStream', 'collStats', 'dbHash', 'dbStats', 'find', 'killCursors', 'listCollections', 'listIndexes'];
const WRITE_ACTIONS = [
  'convertToCapped',
  'createCollection',
  'createIndex',
  'dropCollection',
  'dropIndex',
  'insert',
  'remove',
  'renameCollectionSameDB',
  'update',
];
const READ_COMMANDS = new Set(['find', 'getMore', 'killCursors', 'aggregate', 'count', 'listCollections']);
const WRITE_COMMANDS = new Set(['insert', 'update', 'delete', 'create', 'drop', 'dropDatabase']);
const OPEN_COMMANDS = new Set([
  'hello',
  'ismaster',
  'ping',
  'buildinfo',
  'saslstart',
  'saslcontinue',
  'endsessions',
  'connectionstatus',
  'getnonce',
]);
const MAX_BATCH_BYTES = 8 * 1024 * 1024;

const docKey = (id: unknown) => EJSON.stringify(id as Document, { relaxed: false });
const tsOf = (value: bigint) => new Timestamp({ t: Number(value >> 32n), i: Number(value & 0xffffffffn) });
const tokenOf = (p: Position): Document => ({ _data: p.ts.toString(16).padStart(16, '0') + p.sub.toString(16).padStart(2, '0') });
const comparePositions = (a: Position, b: Position) => (a.ts !== b.ts ? (a.ts < b.ts ? -1 : 1) : Math.sign(a.sub - b.sub));

function parseToken(token: unknown): Position {
  const data = (token as Document | undefined)?.['_data'];
  if (typeof data !== 'string' || !/^[0-9a-f]{18}$/.test(data))
    throw new CommandError('KeyString format error: the resume token is not one this server issued', 50811, 'Location50811');
  return { ts: BigInt(`0x${data.slice(0, 16)}`), sub: Number.parseInt(data.slice(16), 16) };
}

function tsValue(ts: unknown): bigint {
  if (ts instanceof Timestamp) return (BigInt(ts.t) << 32n) | BigInt(ts.i);
  throw new CommandError('startAtOperationTime must be a Timestamp', 14, 'TypeMismatch');
}

function num(value: unknown, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  const v = (value as { valueOf(): unknown }).valueOf();
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : Number(String(value));
}

/** The MongoDB stand-in; `start()` listens, `url` is the connection string for the driver. */
export class MongoStandIn {
  readonly databases = new Map<string, Map<string, StoredCollection>>();
  /** Commands received, in order (name and database), for tests that check what a client sent. */
  readonly commandLog: { command: string; db: string; body: Document }[] = [];
  private readonly oplog: OplogEntry[] = [];
  /** Changes at or before this cluster time are gone from the oplog. */
  private lostUpTo = -1n;
  private clock = 0n;
  private readonly cursors = new Map<bigint, Cursor>();
  private nextCursorId = 1000n + BigInt(randomBytes(2).readUInt16LE(0));
  private readonly waiters = new Set<() => void>();
  private readonly sockets = new Set<Socket>();
  private readonly credentials = new Map<string, ScramCredential>();
  private connections = 0;
  readonly setName: string;
  private readonly oplogSize: number;
  private readonly electionId = new ObjectId();
  readonly host: string;
  readonly standalone: boolean;

  private constructor(
    private readonly server: Server,
    port: number,
    private readonly users: MongoStandInUser[],
    options: MongoStandInOptions,
  ) {
    this.host = `127.0.0.1:${port}`;
    this.setName = options.setName ?? 'standin-rs';
    this.oplogSize = options.oplogSize ?? 100_000;
    this.standalone = options.topology === 'standalone';
    for (const u of users) this.credentials.set(`${u.db ?? 'admin'}.${u.user}`, scramCredential(u.password));
  }

  static async start(options: MongoStandInOptions = {}): Promise<MongoStandIn> {
    let self: MongoStandIn | undefined;
    const server = createServer((socket) => self?.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('no address');
    self = new MongoStandIn(server, address.port, options.users ?? [], options);
    return self;
  }

  get port(): number {
    return Number(this.host.split(':')[1]);
  }

  /** A connection string for the driver; with `auth`, that user's credentials (users are defined in `admin`). */
  url(auth?: { user: string; password: string }, database = ''): string {
    const credentials = auth ? `${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.password)}@` : '';
    const params = [...(this.standalone ? [] : [`replicaSet=${this.setName}`]), ...(auth ? ['authSource=admin'] : [])];
    return `mongodb://${credentials}${this.host}/${database}${params.length > 0 ? `?${params.join('&')}` : ''}`;
  }

  async close(): Promise<void> {
    for (const wake of this.waiters) wake();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Forgets every open cursor, as a server restart or the cursor idle timeout would: their getMore gets error 43. */
  killAllCursors(): void {
    this.cursors.clear();
  }

  /** Drops every oplog entry so far: a change stream resumed from before now gets ChangeStreamHistoryLost. */
  truncateOplog(): void {
    if (this.oplog.length > 0) this.lostUpTo = (this.oplog[this.oplog.length - 1] as OplogEntry).ts;
    else this.lostUpTo = this.clock;
    this.oplog.length = 0;
  }

  /** The current cluster time. */
  get clusterTime(): Timestamp {
    return tsOf(this.clock);
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    const connection: Connection = { id: ++this.connections };
    let buffer: Buffer = Buffer.alloc(0);
    let queue = Promise.resolve();
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      let taken: ReturnType<typeof takeMessages>;
      try {
        taken = takeMessages(buffer);
      } catch {
        socket.destroy();
        return;
      }
      buffer = Buffer.from(taken.rest);
      for (const message of taken.messages) {
        // One command at a time per connection, as the driver uses a connection.
        queue = queue
          .then(() => this.serve(socket, connection, message))
          .catch(() => {
            socket.destroy();
          });
      }
    });
  }

  private async serve(socket: Socket, connection: Connection, message: Buffer): Promise<void> {
    const command = parseMessage(message);
    const reply = await this.answer(connection, command);
    if (socket.destroyed) return;
    if (command.opCode === OP_MSG) {
      if (command.flags & MORE_TO_COME) return;
      socket.write(opMsgReply(command.requestId, reply));
    } else {
      socket.write(opReply(command.requestId, reply));
    }
  }

  private withTimes(document: Document): Document {
    if (this.standalone) return document;
    const clusterTime = tsOf(this.clock);
    return {
      ...document,
      $clusterTime: { clusterTime, signature: { hash: new Binary(Buffer.alloc(20), 0), keyId: Long.fromNumber(0) } },
      operationTime: clusterTime,
    };
  }

  private async answer(connection: Connection, command: WireCommand): Promise<Document> {
    const body = command.body;
    const name = Object.keys(body)[0] ?? '';
    const db = typeof body['$db'] === 'string' ? body['$db'] : ((command.fullCollectionName ?? 'admin.$cmd').split('.')[0] ?? 'admin');
    this.commandLog.push({ command: name, db, body });
    try {
      this.authorize(connection, name, db, body);
      const result = await this.run(connection, name, db, body);
      return this.withTimes({ ...result, ok: 1 });
    } catch (error) {
      if (error instanceof CommandError || error instanceof QueryError) {
        const labels = error instanceof CommandError && error.errorLabels ? { errorLabels: error.errorLabels } : {};
        return this.withTimes({ ok: 0, errmsg: error.message, code: error.code, codeName: error.codeName, ...labels });
      }
      const message = error instanceof Error ? error.message : String(error);
      return this.withTimes({ ok: 0, errmsg: message, code: 8, codeName: 'UnknownError' });
    }
  }

  private authorize(connection: Connection, name: string, db: string, body: Document): void {
    if (this.users.length === 0 || OPEN_COMMANDS.has(name.toLowerCase())) return;
    const user = connection.user;
    if (!user) throw new CommandError(`Command ${name} requires authentication`, 13, 'Unauthorized');
    const has = (roles: string[], onDb: string) =>
      user.roles.some((r) => roles.includes(r.role) && (r.db === onDb || r.role === 'readAnyDatabase' || r.role === 'root'));
    if (user.roles.some((r) => r.role === 'root')) return;
    if (name === 'listDatabases') return; // filtered to the databases the user may read
    if (name === 'aggregate' && body['aggregate'] === 1 && db === 'admin') {
      if (!user.roles.some((r) => r.role === 'readAnyDatabase'))
        throw new CommandError(`not authorized on admin to execute command { aggregate: 1 }`, 13, 'Unauthorized');
      return;
    }
    if (READ_COMMANDS.has(name) && has(['read', 'readWrite', 'readAnyDatabase'], db)) return;
    if (WRITE_COMMANDS.has(name) && user.roles.some((r) => r.role === 'readWrite' && r.db === db)) return;
    throw new CommandError(`not authorized on ${db} to execute command { ${name}: ... }`, 13, 'Unauthorized');
  }

  private collection(db: string, name: string, create = false): StoredCollection | undefined {
    let colls = this.databases.get(db);
    if (!colls) {
      if (!create) return undefined;
      colls = new Map();
      this.databases.set(db, colls);
    }
    let coll = colls.get(name);
    if (!coll && create) {
      coll = { docs: new Map(), uuid: new Binary(randomBytes(16), 4) };
      colls.set(name, coll);
    }
    return coll;
  }

  private tick(): bigint {
    const seconds = BigInt(Math.floor(Date.now() / 1000)) << 32n;
    this.clock = seconds > this.clock ? seconds + 1n : this.clock + 1n;
    return this.clock;
  }

  private record(entry: Omit<OplogEntry, 'ts' | 'wallTime'>): void {
    this.oplog.push({ ...entry, ts: this.tick(), wallTime: new Date() });
    while (this.oplog.length > this.oplogSize) this.lostUpTo = (this.oplog.shift() as OplogEntry).ts;
    for (const wake of [...this.waiters]) wake();
  }

  private async run(connection: Connection, name: string, db: string, body: Document): Promise<Document> {
    if (body['autocommit'] === false || body['startTransaction'] === true)
      throw new CommandError('the MongoDB stand-in does not support transactions', 20, 'IllegalOperation');
    switch (name) {
      case 'hello':
      case 'isMaster':
      case 'ismaster':
        return this.hello(name, body);
      case 'ping':
      case 'endSessions':
        return {};
      case 'buildInfo':
      case 'buildinfo':
        return {
          version: '7.0.0',
          versionArray: [7, 0, 0, 0],
          gitVersion: 'mage-int-mongodb-stand-in',
          bits: 64,
          maxBsonObjectSize: 16777216,
          storageEngines: ['in-memory-stand-in'],
        };
      case 'saslStart':
        return this.saslStart(connection, db, body);
      case 'saslContinue':
        return this.saslContinue(connection, body);
      case 'connectionStatus':
        return this.connectionStatus(connection, body);
      case 'listDatabases':
        return this.listDatabases(connection, body);
      case 'listCollections':
        return this.listCollections(db, body);
      case 'create':
        this.collection(db, String(body['create']), true);
        return {};
      case 'drop':
        return this.drop(db, String(body['drop']));
      case 'dropDatabase':
        return this.dropDatabase(db);
      case 'count': {
        const coll = this.collection(db, String(body['count']));
        const n = coll ? [...coll.docs.values()].filter((d) => matches(d, body['query'] as Document | undefined)).length : 0;
        return { n };
      }
      case 'insert':
        return this.insert(db, String(body['insert']), (body['documents'] as Document[]) ?? []);
      case 'update':
        return this.update(db, String(body['update']), (body['updates'] as Document[]) ?? []);
      case 'delete':
        return this.delete(db, String(body['delete']), (body['deletes'] as Document[]) ?? []);
      case 'find':
        return this.find(db, body);
      case 'aggregate':
        return this.aggregate(db, body);
      case 'getMore':
        return this.getMore(body);
      case 'killCursors':
        return this.killCursors(body);
      default:
        throw new CommandError(`no such command: '${name}' (not answered by the MongoDB stand-in)`, 59, 'CommandNotFound');
    }
  }

  private hello(name: string, body: Document): Document {
    const legacy = name !== 'hello';
    const now = tsOf(this.clock);
    const mechs =
      typeof body['saslSupportedMechs'] === 'string' && this.credentials.has(body['saslSupportedMechs'])
        ? { saslSupportedMechs: ['SCRAM-SHA-256'] }
        : {};
    const common = {
      maxBsonObjectSize: 16777216,
      maxMessageSizeBytes: 48000000,
      maxWriteBatchSize: 100000,
      localTime: new Date(),
      logicalSessionTimeoutMinutes: 30,
      connectionId: this.connections,
      minWireVersion: 0,
      maxWireVersion: 21,
      readOnly: false,
    };
    if (this.standalone) return { ...(legacy ? { ismaster: true } : { isWritablePrimary: true }), helloOk: true, ...common, ...mechs };
    return {
      ...(legacy ? { ismaster: true } : { isWritablePrimary: true }),
      helloOk: true,
      secondary: false,
      setName: this.setName,
      setVersion: 1,
      hosts: [this.host],
      primary: this.host,
      me: this.host,
      electionId: this.electionId,
      lastWrite: {
        opTime: { ts: now, t: Long.fromNumber(1) },
        lastWriteDate: new Date(),
        majorityOpTime: { ts: now, t: Long.fromNumber(1) },
        majorityWriteDate: new Date(),
      },
      ...common,
      ...mechs,
    };
  }

  private saslStart(connection: Connection, db: string, body: Document): Document {
    if (body['mechanism'] !== 'SCRAM-SHA-256')
      throw new CommandError(
        `Received authentication for mechanism ${String(body['mechanism'])} which is not enabled`,
        334,
        'MechanismUnavailable',
      );
    const payload = Buffer.from((body['payload'] as Binary).buffer).toString('utf8');
    const user = /(?:^|,)n=([^,]*)/.exec(payload.slice(payload.indexOf(',', 2) + 1))?.[1] ?? '';
    const credential = this.credentials.get(`${db}.${user}`);
    const { conversation, serverFirst } = ScramConversation.start(payload, credential);
    connection.conversation = { id: 1, scram: conversation, done: false };
    (connection.conversation as { db?: string }).db = db;
    return { conversationId: new Int32(1), done: false, payload: new Binary(Buffer.from(serverFirst)) };
  }

  private saslContinue(connection: Connection, body: Document): Document {
    const conversation = connection.conversation;
    if (!conversation) throw new CommandError('No SASL session state found', 17, 'ProtocolError');
    if (conversation.done) {
      connection.conversation = undefined;
      return { conversationId: new Int32(1), done: true, payload: new Binary(Buffer.alloc(0)) };
    }
    const db = (conversation as { db?: string }).db ?? 'admin';
    const credential = this.credentials.get(`${db}.${conversation.scram.user}`);
    const payload = Buffer.from((body['payload'] as Binary).buffer).toString('utf8');
    const serverFinal = conversation.scram.finish(payload, credential);
    if (!serverFinal) {
      connection.conversation = undefined;
      throw new CommandError('Authentication failed.', 18, 'AuthenticationFailed');
    }
    connection.user = this.users.find((u) => u.user === conversation.scram.user && (u.db ?? 'admin') === db);
    conversation.done = true;
    return { conversationId: new Int32(1), done: true, payload: new Binary(Buffer.from(serverFinal)) };
  }

  private connectionStatus(connection: Connection, body: Document): Document {
    const user = connection.user;
    const roles = user?.roles ?? [];
    const privileges: Document[] = [];
    for (const r of roles) {
      if (r.role === 'root') privileges.push({ resource: { anyResource: true }, actions: ['anyAction'] });
      else if (r.role === 'readAnyDatabase') {
        privileges.push({ resource: { db: '', collection: '' }, actions: READ_ACTIONS });
        privileges.push({ resource: { cluster: true }, actions: ['listDatabases'] });
      } else
        privileges.push({
          resource: { db: r.db, collection: '' },
          actions: r.role === 'readWrite' ? [...READ_ACTIONS, ...WRITE_ACTIONS].sort() : READ_ACTIONS,
        });
    }
    return {
      authInfo: {
        authenticatedUsers: user ? [{ user: user.user, db: user.db ?? 'admin' }] : [],
        authenticatedUserRoles: roles.map((r) => ({ role: r.role, db: r.db })),
        ...(body['showPrivileges'] ? { authenticatedUserPrivileges: privileges } : {}),
      },
    };
  }

  private readable(connection: Connection, db: string): boolean {
    const user = connection.user;
    if (this.users.length === 0) return true;
    return user?.roles.some((r) => r.role === 'root' || r.role === 'readAnyDatabase' || r.db === db) ?? false;
  }

  private listDatabases(connection: Connection, body: Document): Document {
    const databases = [...this.databases.entries()]
      .filter(([name]) => this.readable(connection, name))
      .map(([name, colls]) => ({ name, sizeOnDisk: Long.fromNumber(4096 * (colls.size + 1)), empty: colls.size === 0 }))
      .filter((d) => matches(d, body['filter'] as Document | undefined));
    return body['nameOnly']
      ? { databases: databases.map((d) => ({ name: d.name })) }
      : { databases, totalSize: Long.fromNumber(databases.length * 4096) };
  }

  private listCollections(db: string, body: Document): Document {
    const colls = this.databases.get(db) ?? new Map<string, StoredCollection>();
    const infos = [...colls.entries()]
      .map(([name, c]) => ({
        name,
        type: 'collection',
        options: {},
        info: { readOnly: false, uuid: c.uuid },
        idIndex: { v: new Int32(2), key: { _id: new Int32(1) }, name: '_id_' },
      }))
      .filter((info) => matches(info, body['filter'] as Document | undefined))
      .map((info) => (body['nameOnly'] ? { name: info.name, type: info.type } : info));
    return { cursor: { id: Long.fromNumber(0), ns: `${db}.$cmd.listCollections`, firstBatch: infos } };
  }

  private drop(db: string, name: string): Document {
    const colls = this.databases.get(db);
    if (colls?.delete(name)) this.record({ db, coll: name, op: 'drop' });
    return { ns: `${db}.${name}` };
  }

  private dropDatabase(db: string): Document {
    const colls = this.databases.get(db);
    if (colls) {
      for (const name of colls.keys()) this.record({ db, coll: name, op: 'drop' });
      this.databases.delete(db);
      this.record({ db, op: 'dropDatabase' });
    }
    return { dropped: db };
  }

  private insert(db: string, name: string, documents: Document[]): Document {
    const coll = this.collection(db, name, true) as StoredCollection;
    const writeErrors: Document[] = [];
    let n = 0;
    documents.forEach((document, index) => {
      const doc = '_id' in document ? document : { _id: new ObjectId(), ...document };
      const key = docKey(doc['_id']);
      if (coll.docs.has(key)) {
        writeErrors.push({
          index,
          code: 11000,
          errmsg: `E11000 duplicate key error collection: ${db}.${name} index: _id_ dup key: { _id: ${key} }`,
        });
        return;
      }
      coll.docs.set(key, structuredCloneDoc(doc));
      n++;
      this.record({ db, coll: name, op: 'insert', documentKey: { _id: doc['_id'] }, fullDocument: structuredCloneDoc(doc) });
    });
    return { n, ...(writeErrors.length > 0 ? { writeErrors } : {}) };
  }

  private update(db: string, name: string, updates: Document[]): Document {
    const coll = this.collection(db, name, true) as StoredCollection;
    let n = 0;
    let nModified = 0;
    const upserted: Document[] = [];
    updates.forEach((spec, index) => {
      if (Array.isArray(spec['u'])) throw new QueryError('update pipelines are not evaluated by the MongoDB stand-in', 9, 'FailedToParse');
      const targets = [...coll.docs.values()].filter((d) => matches(d, spec['q'] as Document));
      const chosen = spec['multi'] ? targets : targets.slice(0, 1);
      for (const doc of chosen) {
        const result = applyUpdate(doc, spec['u'] as Document);
        n++;
        if (compareBson(result.doc, doc) === 0 && Object.keys(result.doc).length === Object.keys(doc).length) continue;
        nModified++;
        coll.docs.set(docKey(doc['_id']), result.doc);
        this.record({
          db,
          coll: name,
          op: result.replaced ? 'replace' : 'update',
          documentKey: { _id: doc['_id'] },
          fullDocument: structuredCloneDoc(result.doc),
          ...(result.replaced
            ? {}
            : { updateDescription: { updatedFields: result.updatedFields, removedFields: result.removedFields, truncatedArrays: [] } }),
        });
      }
      if (chosen.length === 0 && spec['upsert']) {
        const q = spec['q'] as Document;
        const seed: Document = Object.fromEntries(
          Object.entries(q).filter(
            ([k, v]) => !k.startsWith('$') && !(v && typeof v === 'object' && Object.keys(v).some((x) => x.startsWith('$'))),
          ),
        );
        const base = { _id: seed['_id'] ?? new ObjectId(), ...seed };
        const { doc } = applyUpdate(base, spec['u'] as Document);
        if (!('_id' in doc) || doc['_id'] === undefined) doc['_id'] = base['_id'];
        coll.docs.set(docKey(doc['_id']), doc);
        upserted.push({ index, _id: doc['_id'] });
        n++;
        this.record({ db, coll: name, op: 'insert', documentKey: { _id: doc['_id'] }, fullDocument: structuredCloneDoc(doc) });
      }
    });
    return { n, nModified, ...(upserted.length > 0 ? { upserted } : {}) };
  }

  private delete(db: string, name: string, deletes: Document[]): Document {
    const coll = this.collection(db, name);
    let n = 0;
    for (const spec of deletes) {
      if (!coll) break;
      const targets = [...coll.docs.values()].filter((d) => matches(d, spec['q'] as Document));
      for (const doc of num(spec['limit'], 0) === 1 ? targets.slice(0, 1) : targets) {
        coll.docs.delete(docKey(doc['_id']));
        n++;
        this.record({ db, coll: name, op: 'delete', documentKey: { _id: doc['_id'] } });
      }
    }
    return { n };
  }

  private openCursor(cursor: Cursor): bigint {
    const id = this.nextCursorId++;
    this.cursors.set(id, cursor);
    return id;
  }

  /** Up to `batchSize` documents (and at most MAX_BATCH_BYTES) from a find cursor; closes it when exhausted. */
  private findBatch(id: bigint, cursor: FindCursor, batchSize: number): { id: Long; batch: Document[] } {
    const batch: Document[] = [];
    let bytes = 0;
    const end = Math.min(cursor.docs.length, cursor.limit > 0 ? cursor.limit : cursor.docs.length);
    while (cursor.offset < end && (batchSize <= 0 || batch.length < batchSize) && bytes < MAX_BATCH_BYTES) {
      const doc = cursor.docs[cursor.offset++] as Document;
      bytes += BSON.calculateObjectSize(doc);
      batch.push(doc);
    }
    const done = cursor.offset >= end;
    if (done) this.cursors.delete(id);
    return { id: Long.fromBigInt(done ? 0n : id), batch };
  }

  private find(db: string, body: Document): Document {
    const name = String(body['find']);
    const coll = this.collection(db, name);
    let docs = coll ? [...coll.docs.values()] : [];
    docs = docs.filter((d) => matches(d, body['filter'] as Document | undefined));
    const hint = body['hint'];
    const min = body['min'] as Document | undefined;
    const max = body['max'] as Document | undefined;
    if ((min || max) && !hint) throw new CommandError("'min' and 'max' need a 'hint' naming the index", 51173, 'Location51173');
    let sort = body['sort'] as Document | undefined;
    if (min || max) {
      const keys = Object.keys((min ?? max) as Document);
      if (keys.length !== 1 || keys[0] !== '_id') throw new QueryError('the stand-in has only the _id index for min/max');
      if (min) docs = docs.filter((d) => compareBson(d['_id'], min['_id']) >= 0);
      if (max) docs = docs.filter((d) => compareBson(d['_id'], max['_id']) < 0);
      sort ??= { _id: 1 };
    }
    const comparator = sortComparator(sort);
    if (comparator) docs.sort(comparator);
    const skip = num(body['skip'], 0);
    const limit = Math.abs(num(body['limit'], 0));
    docs = docs.slice(skip).map((d) => project(d, body['projection'] as Document | undefined));
    const cursor: FindCursor = { kind: 'find', ns: `${db}.${name}`, docs, offset: 0, limit: limit };
    const id = this.openCursor(cursor);
    const batchSize = body['singleBatch'] ? limit || docs.length : num(body['batchSize'], 101);
    const { id: cursorId, batch } = this.findBatch(id, cursor, batchSize);
    if (body['singleBatch']) this.cursors.delete(id);
    return { cursor: { id: body['singleBatch'] ? Long.fromNumber(0) : cursorId, ns: cursor.ns, firstBatch: batch } };
  }

  private aggregate(db: string, body: Document): Document {
    const pipeline = (body['pipeline'] as Document[]) ?? [];
    const target = body['aggregate'];
    const first = pipeline[0];
    if (first && '$changeStream' in first)
      return this.openChangeStream(db, target, first['$changeStream'] as Document, pipeline.slice(1), body);
    if (typeof target !== 'string') throw new CommandError('the stand-in aggregates only collections', 73, 'InvalidNamespace');
    let docs = [...(this.collection(db, target)?.docs.values() ?? [])];
    for (const stage of pipeline) {
      const [op, arg] = Object.entries(stage)[0] ?? [];
      switch (op) {
        case '$match':
          docs = docs.filter((d) => matches(d, arg as Document));
          break;
        case '$sort': {
          const c = sortComparator(arg as Document);
          if (c) docs.sort(c);
          break;
        }
        case '$limit':
          docs = docs.slice(0, num(arg, 0));
          break;
        case '$skip':
          docs = docs.slice(num(arg, 0));
          break;
        case '$project':
          docs = docs.map((d) => project(d, arg as Document));
          break;
        case '$sample': {
          const size = num((arg as Document)['size'], 0);
          const pool = [...docs];
          for (let i = pool.length - 1; i > 0; i--) {
            const j = Math.floor(Math.random() * (i + 1));
            [pool[i], pool[j]] = [pool[j] as Document, pool[i] as Document];
          }
          docs = pool.slice(0, size);
          break;
        }
        case '$count':
          docs = [{ [String(arg)]: new Int32(docs.length) }];
          break;
        default:
          throw new CommandError(
            `Unrecognized pipeline stage name: '${String(op)}' (not evaluated by the MongoDB stand-in)`,
            40324,
            'Location40324',
          );
      }
    }
    const cursor: FindCursor = { kind: 'find', ns: `${db}.${target}`, docs, offset: 0, limit: 0 };
    const id = this.openCursor(cursor);
    const { id: cursorId, batch } = this.findBatch(id, cursor, num((body['cursor'] as Document | undefined)?.['batchSize'], 101));
    return { cursor: { id: cursorId, ns: cursor.ns, firstBatch: batch } };
  }

  private openChangeStream(db: string, target: unknown, spec: Document, rest: Document[], body: Document): Document {
    if (this.standalone) throw new CommandError('The $changeStream stage is only supported on replica sets', 40573, 'Location40573');
    const coll = typeof target === 'string' ? target : undefined;
    if (target !== 1 && coll === undefined && num(target, 0) !== 1) throw new CommandError('bad aggregate target', 73, 'InvalidNamespace');
    for (const stage of rest) {
      const op = Object.keys(stage)[0];
      if (op !== '$match')
        throw new CommandError(`the stand-in evaluates only $match after $changeStream, not ${String(op)}`, 40324, 'Location40324');
    }
    let position: Position;
    const token = spec['resumeAfter'] ?? spec['startAfter'];
    if (token !== undefined) position = parseToken(token);
    else if (spec['startAtOperationTime'] !== undefined) position = { ts: tsValue(spec['startAtOperationTime']), sub: -1 };
    else position = { ts: this.clock, sub: 255 };
    this.assertInHistory(position);
    const cursor: ChangeCursor = {
      kind: 'change',
      ns: coll ? `${db}.${coll}` : `${db}.$cmd.aggregate`,
      db,
      ...(coll ? { coll } : {}),
      fullDocument: String(spec['fullDocument'] ?? 'default'),
      filters: rest.map((s) => s['$match'] as Document),
      position,
      closed: false,
    };
    const id = this.openCursor(cursor);
    const batchSize = num((body['cursor'] as Document | undefined)?.['batchSize'], 101);
    const { batch, token: pbrt } = this.changeBatch(cursor, batchSize);
    if (cursor.closed) this.cursors.delete(id);
    return { cursor: { id: Long.fromBigInt(cursor.closed ? 0n : id), ns: cursor.ns, firstBatch: batch, postBatchResumeToken: pbrt } };
  }

  private assertInHistory(position: Position): void {
    if (comparePositions(position, { ts: this.lostUpTo, sub: 255 }) < 0)
      throw new CommandError(
        'Resume of change stream was not possible, as the resume point may no longer be in the oplog.',
        286,
        'ChangeStreamHistoryLost',
        ['NonResumableChangeStreamError'],
      );
  }

  /** The change events a change cursor sees for one oplog entry (a drop may end in invalidate). */
  private eventsOf(cursor: ChangeCursor, entry: OplogEntry): { sub: number; event: Document }[] {
    if (entry.db !== cursor.db) return [];
    if (cursor.coll && entry.coll !== cursor.coll && entry.op !== 'dropDatabase') return [];
    const base = { clusterTime: tsOf(entry.ts), wallTime: entry.wallTime };
    const ns = { db: entry.db, ...(entry.coll ? { coll: entry.coll } : {}) };
    const events: { sub: number; event: Document }[] = [];
    switch (entry.op) {
      case 'insert':
      case 'replace':
        events.push({
          sub: 0,
          event: { operationType: entry.op, ...base, ns, documentKey: entry.documentKey, fullDocument: entry.fullDocument },
        });
        break;
      case 'update': {
        const event: Document = {
          operationType: 'update',
          ...base,
          ns,
          documentKey: entry.documentKey,
          updateDescription: entry.updateDescription,
        };
        if (cursor.fullDocument === 'updateLookup') {
          const current = this.collection(entry.db, entry.coll as string)?.docs.get(docKey(entry.documentKey?.['_id']));
          event['fullDocument'] = current ? structuredCloneDoc(current) : null;
        }
        events.push({ sub: 0, event });
        break;
      }
      case 'delete':
        events.push({ sub: 0, event: { operationType: 'delete', ...base, ns, documentKey: entry.documentKey } });
        break;
      case 'drop':
        events.push({ sub: 0, event: { operationType: 'drop', ...base, ns } });
        if (cursor.coll) events.push({ sub: 1, event: { operationType: 'invalidate', ...base } });
        break;
      case 'dropDatabase':
        events.push({ sub: 0, event: { operationType: 'dropDatabase', ...base, ns: { db: entry.db } } });
        events.push({ sub: 1, event: { operationType: 'invalidate', ...base } });
        break;
    }
    return events;
  }

  private changeBatch(cursor: ChangeCursor, batchSize: number): { batch: Document[]; token: Document } {
    const batch: Document[] = [];
    let full = false;
    for (const entry of this.oplog) {
      if (entry.ts < cursor.position.ts) continue;
      for (const { sub, event } of this.eventsOf(cursor, entry)) {
        const at = { ts: entry.ts, sub };
        if (comparePositions(at, cursor.position) <= 0) continue;
        if (batch.length >= batchSize) {
          full = true;
          break;
        }
        cursor.position = at;
        const withId = { _id: tokenOf(at), ...event };
        if (!cursor.filters.every((f) => matches(withId, f))) continue;
        batch.push(withId);
        if (event['operationType'] === 'invalidate') {
          cursor.closed = true;
          return { batch, token: tokenOf(at) };
        }
      }
      if (full) break;
    }
    if (!full) cursor.position = { ts: this.clock, sub: 255 };
    return { batch, token: tokenOf(cursor.position) };
  }

  private async getMore(body: Document): Promise<Document> {
    const raw = body['getMore'];
    const id = raw instanceof Long ? raw.toBigInt() : BigInt(num(raw, 0));
    const cursor = this.cursors.get(id);
    if (!cursor) throw new CommandError(`cursor id ${id} not found`, 43, 'CursorNotFound');
    const batchSize = num(body['batchSize'], 0);
    if (cursor.kind === 'find') {
      const { id: next, batch } = this.findBatch(id, cursor, batchSize);
      return { cursor: { id: next, ns: cursor.ns, nextBatch: batch } };
    }
    this.assertInHistory(cursor.position);
    let result = this.changeBatch(cursor, batchSize || 1000);
    const deadline = Date.now() + num(body['maxTimeMS'], 1000);
    while (result.batch.length === 0 && !cursor.closed && Date.now() < deadline && this.cursors.has(id)) {
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, Math.max(1, deadline - Date.now()));
        this.waiters.add(wake);
      });
      if (!this.cursors.has(id)) throw new CommandError(`cursor id ${id} not found`, 43, 'CursorNotFound');
      this.assertInHistory(cursor.position);
      result = this.changeBatch(cursor, batchSize || 1000);
    }
    if (cursor.closed) this.cursors.delete(id);
    return {
      cursor: { id: Long.fromBigInt(cursor.closed ? 0n : id), ns: cursor.ns, nextBatch: result.batch, postBatchResumeToken: result.token },
    };
  }

  private killCursors(body: Document): Document {
    const killed: Long[] = [];
    const notFound: Long[] = [];
    for (const raw of (body['cursors'] as unknown[]) ?? []) {
      const id = raw instanceof Long ? raw.toBigInt() : BigInt(num(raw, 0));
      (this.cursors.delete(id) ? killed : notFound).push(Long.fromBigInt(id));
    }
    return { cursorsKilled: killed, cursorsNotFound: notFound, cursorsAlive: [], cursorsUnknown: [] };
  }

  /** The documents of a collection (tests look at what the stand-in holds). */
  documents(db: string, coll: string): Document[] {
    return [...(this.collection(db, coll)?.docs.values() ?? [])].sort((a, b) => compareBson(a['_id'], b['_id']));
  }

  /** True when two BSON values are equal as MongoDB compares them. */
  static equal(a: unknown, b: unknown): boolean {
    return bsonEquals(a, b);
  }
}

/** Starts a MongoDB stand-in on 127.0.0.1 (a random port). */
export function startMongoStandIn(options: MongoStandInOptions = {}): Promise<MongoStandIn> {
  return MongoStandIn.start(options);
}
