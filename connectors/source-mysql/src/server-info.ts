import type { RowDataPacket } from 'mysql2';
import type { BinlogPosition } from './binlog-position.js';
import type { MySqlClient } from './connection.js';

/** What the LOG_BASED reader needs to know about the server. */
export interface ServerInfo {
  version: string;
  /** `mariadb` or `mysql`, from VERSION(). */
  engine: 'mariadb' | 'mysql';
  serverId: number;
  /** MySQL's @@server_uuid; MariaDB has none. */
  serverUuid?: string;
  logBin: boolean;
  binlogFormat: string;
  binlogRowImage: string;
}

interface VariableRow extends RowDataPacket {
  version: string;
  server_id: number | string;
  log_bin: number | string;
  binlog_format: string | null;
  binlog_row_image: string | null;
}

/** Version, engine and binlog settings in one query. */
export async function serverInfo(client: MySqlClient): Promise<ServerInfo> {
  const [row] = await client.query<VariableRow>(
    `SELECT VERSION() AS version, @@server_id AS server_id, @@log_bin AS log_bin, @@binlog_format AS binlog_format, @@binlog_row_image AS binlog_row_image`,
  );
  const version = String(row?.version ?? '');
  const engine = /mariadb/i.test(version) ? 'mariadb' : 'mysql';
  let serverUuid: string | undefined;
  if (engine === 'mysql') {
    const [uuid] = await client.query<RowDataPacket>(`SELECT @@server_uuid AS uuid`);
    serverUuid = uuid ? String(uuid['uuid']) : undefined;
  }
  return {
    version,
    engine,
    serverId: Number(row?.server_id ?? 0),
    ...(serverUuid ? { serverUuid } : {}),
    logBin: Number(row?.log_bin ?? 0) === 1,
    binlogFormat: String(row?.binlog_format ?? ''),
    binlogRowImage: String(row?.binlog_row_image ?? ''),
  };
}

/** The binlog files on the server with their sizes (SHOW BINARY LOGS). */
export async function binaryLogs(client: MySqlClient): Promise<{ file: string; size: number }[]> {
  const rows = await client.query<RowDataPacket>('SHOW BINARY LOGS');
  return rows.map((r) => ({ file: String(r['Log_name']), size: Number(r['File_size']) }));
}

/** The end of the binlog now: where a reader that started now would start. */
export async function currentPosition(client: MySqlClient): Promise<BinlogPosition> {
  let rows: RowDataPacket[];
  try {
    rows = await client.query<RowDataPacket>('SHOW MASTER STATUS');
  } catch {
    // MySQL 8.4 removed SHOW MASTER STATUS.
    rows = await client.query<RowDataPacket>('SHOW BINARY LOG STATUS');
  }
  const row = rows[0];
  if (!row) throw new Error('SHOW MASTER STATUS returned nothing: binary logging is off');
  return { file: String(row['File']), pos: Number(row['Position']) };
}

/** The GTID state after `position`: MariaDB's BINLOG_GTID_POS, MySQL's gtid_executed (now). */
export async function gtidAt(client: MySqlClient, info: ServerInfo, position: BinlogPosition): Promise<string | undefined> {
  if (info.engine === 'mariadb') {
    const [row] = await client.query<RowDataPacket>('SELECT BINLOG_GTID_POS(?, ?) AS gtid', [position.file, position.pos]);
    const gtid = row?.['gtid'];
    return gtid === null || gtid === undefined ? undefined : String(gtid);
  }
  const [row] = await client.query<RowDataPacket>('SELECT @@GLOBAL.gtid_executed AS gtid, @@GLOBAL.gtid_mode AS mode');
  return row && String(row['mode']).toUpperCase() === 'ON' ? String(row['gtid']).replace(/\s/g, '') : undefined;
}
