import { createHash } from 'node:crypto';

/** A position in the binlog: the file and the byte offset after the last event read. */
export interface BinlogPosition {
  file: string;
  pos: number;
}

/** The numeric suffix of a binlog file name (`mysql-bin.000012` → 12). */
export function fileIndex(file: string): number {
  const match = /\.(\d+)$/.exec(file);
  return match ? Number(match[1]) : 0;
}

/** Orders two positions: files by their number, then offsets. */
export function comparePositions(a: BinlogPosition, b: BinlogPosition): number {
  const byFile = fileIndex(a.file) - fileIndex(b.file);
  if (byFile !== 0) return Math.sign(byFile);
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return Math.sign(a.pos - b.pos);
}

/** `mysql-bin.000012:4567`, the form of `_sdc_binlog_pos`. */
export function formatPosition(position: BinlogPosition): string {
  return `${position.file}:${position.pos}`;
}

/**
 * The server id the binlog reader announces: the configured one, else one derived from the pipeline id (or the
 * databases and host, for a Singer tap run without a pipeline), in 1 000 000 000 … 4 294 967 295 so it is
 * unlikely to clash with the small ids servers and replicas are usually given.
 */
export function readerServerId(configured: number | undefined, pipelineId: string | undefined, fallback: string): number {
  if (configured !== undefined) return configured;
  const digest = createHash('sha256')
    .update(pipelineId ?? fallback)
    .digest();
  const range = 4_294_967_295 - 1_000_000_000 + 1;
  return 1_000_000_000 + (digest.readUInt32BE(0) % range);
}

/** One domain of a MariaDB GTID position: `domain-server-sequence`. */
interface MariaGtid {
  domain: number;
  server: number;
  seq: bigint;
}

/** Parses a MariaDB GTID position (`0-1-1234,1-2-56`); throws on anything else. */
export function parseMariaGtids(text: string): MariaGtid[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  return trimmed.split(',').map((part) => {
    const match = /^(\d+)-(\d+)-(\d+)$/.exec(part.trim());
    if (!match) throw new Error(`not a MariaDB GTID position: ${text}`);
    return { domain: Number(match[1]), server: Number(match[2]), seq: BigInt(match[3] as string) };
  });
}

/** A MySQL GTID set as uuid → intervals (`3E11FA47-…:1-5:7` → [[1,5],[7,7]]). */
export function parseMysqlGtidSet(text: string): Map<string, [bigint, bigint][]> {
  const out = new Map<string, [bigint, bigint][]>();
  for (const part of text.replace(/\s/g, '').split(',')) {
    if (part === '') continue;
    const [uuid, ...ranges] = part.split(':');
    if (!uuid || !/^[0-9a-f-]{36}$/i.test(uuid)) throw new Error(`not a MySQL GTID set: ${text}`);
    const list = out.get(uuid.toLowerCase()) ?? [];
    for (const range of ranges) {
      const match = /^(\d+)(?:-(\d+))?$/.exec(range);
      if (!match) continue; // a tag (MySQL 8.3+): its intervals follow and count under the same uuid
      list.push([BigInt(match[1] as string), BigInt((match[2] ?? match[1]) as string)]);
    }
    out.set(uuid.toLowerCase(), list);
  }
  return out;
}

function covered(intervals: readonly [bigint, bigint][], gno: bigint): boolean {
  return intervals.some(([lo, hi]) => gno >= lo && gno <= hi);
}

/**
 * True when every transaction of `saved` is in `executed` (a MySQL server that has seen what the state says
 * was read). False means the state comes from another server or the server's GTIDs were reset.
 */
export function mysqlGtidSubset(saved: string, executed: string): boolean {
  const have = parseMysqlGtidSet(executed);
  for (const [uuid, intervals] of parseMysqlGtidSet(saved)) {
    const server = have.get(uuid);
    if (!server) return false;
    for (const [lo, hi] of intervals) if (!covered(server, lo) || !covered(server, hi)) return false;
  }
  return true;
}

/**
 * The transactions of `needed` (what a resumed reader still has to read: everything after `saved`) that the
 * server has purged: non-empty means the binlog holding them is gone. MySQL: intervals of gtid_purged not in
 * `saved`.
 */
export function mysqlPurgedBeyond(saved: string, purged: string): boolean {
  const have = parseMysqlGtidSet(saved);
  for (const [uuid, intervals] of parseMysqlGtidSet(purged)) {
    const mine = have.get(uuid) ?? [];
    for (const [lo, hi] of intervals) if (!covered(mine, lo) || !covered(mine, hi)) return true;
  }
  return false;
}

/**
 * True when a MariaDB server whose binlog holds `binlogState` can continue after `saved`: each saved domain's
 * sequence is at most the server's. A higher saved sequence means a reset or another server.
 */
export function mariaGtidReachable(saved: string, binlogState: string): boolean {
  const server = parseMariaGtids(binlogState);
  for (const gtid of parseMariaGtids(saved)) {
    const same = server.filter((g) => g.domain === gtid.domain);
    if (same.length === 0 || !same.some((g) => g.seq >= gtid.seq)) return false;
  }
  return true;
}
