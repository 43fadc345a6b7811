/**
 * Decoder of the `pgoutput` logical replication protocol (version 1, text tuple values), as carried inside
 * the XLogData messages of START_REPLICATION. See PostgreSQL's "Logical Replication Message Formats".
 */

export interface RelationColumn {
  isKey: boolean;
  name: string;
  typeOid: number;
  typmod: number;
}

export interface RelationMessage {
  tag: 'relation';
  oid: number;
  namespace: string;
  name: string;
  replicaIdentity: string;
  columns: RelationColumn[];
}

/** One tuple: per column a text value, null, or `undefined` for an unchanged TOAST value not sent. */
export type TupleValue = string | null | undefined;

export type PgOutputMessage =
  | { tag: 'begin'; finalLsn: bigint; commitTime: bigint; xid: number }
  | { tag: 'commit'; commitLsn: bigint; endLsn: bigint; commitTime: bigint }
  | RelationMessage
  | { tag: 'type'; oid: number; namespace: string; name: string }
  | { tag: 'insert'; relation: number; tuple: TupleValue[] }
  | { tag: 'update'; relation: number; old?: TupleValue[]; oldKind?: 'K' | 'O'; tuple: TupleValue[] }
  | { tag: 'delete'; relation: number; old: TupleValue[]; oldKind: 'K' | 'O' }
  | { tag: 'truncate'; relations: number[]; cascade: boolean; restartIdentity: boolean }
  | { tag: 'message'; transactional: boolean; lsn: bigint; prefix: string; content: Buffer }
  | { tag: 'origin' }
  | { tag: 'unknown'; code: string };

class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}
  u8(): number {
    return this.buf[this.pos++]!;
  }
  i16(): number {
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  i32(): number {
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  u32(): number {
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): bigint {
    const v = this.buf.readBigUInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  i64(): bigint {
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  cstring(): string {
    const end = this.buf.indexOf(0, this.pos);
    const s = this.buf.toString('utf8', this.pos, end);
    this.pos = end + 1;
    return s;
  }
  bytes(n: number): Buffer {
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  text(n: number): string {
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
}

function tuple(r: Reader): TupleValue[] {
  const n = r.i16();
  const values: TupleValue[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const kind = r.u8();
    if (kind === 0x6e /* n */) values[i] = null;
    else if (kind === 0x75 /* u */) values[i] = undefined;
    else if (kind === 0x74 /* t */) values[i] = r.text(r.i32());
    else if (kind === 0x62 /* b */) throw new Error('binary tuple values are not requested and not supported');
    else throw new Error(`unknown tuple value kind 0x${kind.toString(16)}`);
  }
  return values;
}

/** Decodes one pgoutput message. */
export function decodePgOutput(buf: Buffer): PgOutputMessage {
  const r = new Reader(buf);
  const code = String.fromCharCode(r.u8());
  switch (code) {
    case 'B':
      return { tag: 'begin', finalLsn: r.u64(), commitTime: r.i64(), xid: r.u32() };
    case 'C': {
      r.u8(); // flags
      return { tag: 'commit', commitLsn: r.u64(), endLsn: r.u64(), commitTime: r.i64() };
    }
    case 'O':
      return { tag: 'origin' };
    case 'R': {
      const oid = r.u32();
      const namespace = r.cstring() || 'pg_catalog';
      const name = r.cstring();
      const replicaIdentity = String.fromCharCode(r.u8());
      const n = r.i16();
      const columns: RelationColumn[] = [];
      for (let i = 0; i < n; i++) {
        const flags = r.u8();
        columns.push({ isKey: (flags & 1) === 1, name: r.cstring(), typeOid: r.u32(), typmod: r.i32() });
      }
      return { tag: 'relation', oid, namespace, name, replicaIdentity, columns };
    }
    case 'Y':
      return { tag: 'type', oid: r.u32(), namespace: r.cstring(), name: r.cstring() };
    case 'I': {
      const relation = r.u32();
      r.u8(); // 'N'
      return { tag: 'insert', relation, tuple: tuple(r) };
    }
    case 'U': {
      const relation = r.u32();
      let kind = String.fromCharCode(r.u8());
      let old: TupleValue[] | undefined;
      let oldKind: 'K' | 'O' | undefined;
      if (kind === 'K' || kind === 'O') {
        oldKind = kind;
        old = tuple(r);
        kind = String.fromCharCode(r.u8());
      }
      return { tag: 'update', relation, ...(old ? { old, oldKind } : {}), tuple: tuple(r) };
    }
    case 'D': {
      const relation = r.u32();
      const oldKind = String.fromCharCode(r.u8()) as 'K' | 'O';
      return { tag: 'delete', relation, oldKind, old: tuple(r) };
    }
    case 'T': {
      const count = r.u32();
      const options = r.u8();
      const relations: number[] = [];
      for (let i = 0; i < count; i++) relations.push(r.u32());
      return { tag: 'truncate', relations, cascade: (options & 1) === 1, restartIdentity: (options & 2) === 2 };
    }
    case 'M': {
      const flags = r.u8();
      const lsn = r.u64();
      const prefix = r.cstring();
      const content = r.bytes(r.i32());
      return { tag: 'message', transactional: (flags & 1) === 1, lsn, prefix, content };
    }
    default:
      return { tag: 'unknown', code };
  }
}
