import {
  assertLogBasedStreamUsable,
  ConnectorError,
  replicationMethod,
  type CatalogStream,
  type State,
  type StreamBookmark,
} from '@mage-int/core';
import type { RowDataPacket } from 'mysql2';
import { mariaGtidReachable, mysqlGtidSubset, mysqlPurgedBeyond, type BinlogPosition } from './binlog-position.js';
import { explainError, qualified, type MySqlClient } from './connection.js';
import { tableOf } from './discover.js';
import type { ResolvedConfig as Config } from './generated/config.js'; // filled by the connector's entry points (index.ts)
import { binaryLogs, gtidAt, serverInfo, type ServerInfo } from './server-info.js';

const RESYNC_HINT =
  'a full resync of the stream is needed: `mage-int run <pipeline> --full-refresh --streams <stream>` (or `mage-int state clear`), then keep binlogs longer than the pipeline may pause (binlog_expire_logs_seconds / expire_logs_days)';

/** Privileges of the current user that LOG_BASED needs, from SHOW GRANTS. */
async function replicationGrants(client: MySqlClient): Promise<{ slave: boolean; client: boolean }> {
  const rows = await client.query<RowDataPacket>('SHOW GRANTS FOR CURRENT_USER()');
  const global = rows.map((r) => String(Object.values(r)[0] ?? '').toUpperCase()).filter((g) => g.includes(' ON *.* '));
  const all = global.some((g) => g.startsWith('GRANT ALL PRIVILEGES'));
  const has = (re: RegExp) => all || global.some((g) => re.test(g));
  return {
    slave: has(/REPLICATION (SLAVE|REPLICA)/),
    // MariaDB 10.5+ calls REPLICATION CLIENT "BINLOG MONITOR".
    client: has(/REPLICATION CLIENT|BINLOG MONITOR|\bSUPER\b/),
  };
}

/** Fails with a fix when the server or the user cannot stream the binlog. */
export async function checkBinlogServer(client: MySqlClient, config: Config): Promise<ServerInfo> {
  const info = await serverInfo(client);
  if (!info.logBin) {
    throw new ConnectorError('BINLOG_DISABLED', 'LOG_BASED replication needs the binary log, and it is off on this server', {
      hint: 'start the server with log_bin (log-bin=mysql-bin) and server_id set, then restart it (managed services: enable automated backups / binlog retention)',
    });
  }
  if (info.binlogFormat.toUpperCase() !== 'ROW') {
    throw new ConnectorError(
      'BINLOG_FORMAT_NOT_ROW',
      `LOG_BASED replication needs binlog_format=ROW, the server has ${info.binlogFormat}`,
      {
        hint: 'SET GLOBAL binlog_format = ROW (and in the server config so it survives a restart)',
      },
    );
  }
  if (info.binlogRowImage.toUpperCase() !== 'FULL') {
    throw new ConnectorError(
      'BINLOG_ROW_IMAGE_NOT_FULL',
      `LOG_BASED replication needs binlog_row_image=FULL, the server has ${info.binlogRowImage}: updates would lack unchanged columns`,
      {
        hint: 'SET GLOBAL binlog_row_image = FULL (and in the server config so it survives a restart)',
      },
    );
  }
  const grants = await replicationGrants(client);
  if (!grants.slave || !grants.client) {
    const missing = [grants.slave ? '' : 'REPLICATION SLAVE', grants.client ? '' : 'REPLICATION CLIENT'].filter(Boolean).join(', ');
    throw new ConnectorError('REPLICATION_PERMISSION_MISSING', `user ${config.username} may not read the binlog (missing ${missing})`, {
      hint: `GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO '${config.username}'@'%'; (MariaDB 10.5+: REPLICATION SLAVE, BINLOG MONITOR)`,
    });
  }
  return info;
}

/** The saved binlog position of a LOG_BASED bookmark, if the stream has one. */
export function bookmarkPosition(bookmark: StreamBookmark | undefined): BinlogPosition | undefined {
  const file = bookmark?.['binlog_file'];
  const pos = bookmark?.['binlog_pos'];
  return typeof file === 'string' && typeof pos === 'number' ? { file, pos } : undefined;
}

/**
 * Checks that the server can continue from a saved position: the same server (server_id, and server_uuid on
 * MySQL), the binlog file still there (not purged) and holding the same history (not renumbered by RESET MASTER:
 * on MariaDB the GTID at the saved position must be the saved one). Anything else is a loud error asking for a
 * full resync — never a silent run that reads nothing.
 */
export async function checkResumable(client: MySqlClient, info: ServerInfo, stream: string, bookmark: StreamBookmark): Promise<void> {
  const position = bookmarkPosition(bookmark);
  if (!position) return;
  const where = `${position.file}:${position.pos}`;
  const savedId = bookmark['server_id'];
  const savedUuid = bookmark['server_uuid'];
  if (
    (typeof savedId === 'number' && savedId !== info.serverId) ||
    (typeof savedUuid === 'string' && info.serverUuid !== undefined && savedUuid !== info.serverUuid)
  ) {
    throw new ConnectorError(
      'BINLOG_SERVER_CHANGED',
      `the saved binlog position ${where} belongs to another server (server_id ${String(savedId)}${typeof savedUuid === 'string' ? `, uuid ${savedUuid}` : ''}; this one is ${info.serverId}${info.serverUuid ? `, uuid ${info.serverUuid}` : ''})`,
      {
        stream,
        hint: RESYNC_HINT,
      },
    );
  }
  const logs = await binaryLogs(client);
  const file = logs.find((l) => l.file === position.file);
  if (!file) {
    const oldest = logs[0]?.file;
    throw new ConnectorError(
      'BINLOG_PURGED',
      `the binlog file ${position.file} the saved position ${where} points into is no longer on the server (purged${oldest ? `; the oldest is ${oldest}` : ''}): changes since then are lost`,
      {
        stream,
        hint: RESYNC_HINT,
      },
    );
  }
  if (file.size < position.pos) {
    throw new ConnectorError(
      'BINLOG_RESET',
      `the saved binlog position ${where} lies beyond the end of ${position.file} (${file.size} bytes): the binlog was reset (RESET MASTER) or this is another server`,
      {
        stream,
        hint: RESYNC_HINT,
      },
    );
  }
  const savedGtid = bookmark['gtid'];
  if (typeof savedGtid !== 'string') return;
  if (info.engine === 'mariadb') {
    const [row] = await client.query<RowDataPacket>('SELECT @@GLOBAL.gtid_binlog_state AS state');
    const actual = await gtidAt(client, info, position);
    if (actual !== savedGtid || !mariaGtidReachable(savedGtid, String(row?.['state'] ?? ''))) {
      throw new ConnectorError(
        'BINLOG_RESET',
        `the binlog at the saved position ${where} is not the one read before (GTID ${savedGtid} saved, ${actual ?? 'none'} there now): the binlog was reset or this is another server`,
        {
          stream,
          hint: RESYNC_HINT,
        },
      );
    }
    return;
  }
  const [row] = await client.query<RowDataPacket>('SELECT @@GLOBAL.gtid_executed AS executed, @@GLOBAL.gtid_purged AS purged');
  if (!mysqlGtidSubset(savedGtid, String(row?.['executed'] ?? ''))) {
    throw new ConnectorError(
      'BINLOG_RESET',
      `the server has not executed the transactions the state says were read (${savedGtid}): its GTIDs were reset or this is another server`,
      { stream, hint: RESYNC_HINT },
    );
  }
  if (mysqlPurgedBeyond(savedGtid, String(row?.['purged'] ?? ''))) {
    throw new ConnectorError(
      'BINLOG_PURGED',
      `transactions after the saved GTID set ${savedGtid} were purged from the binlog: changes since then are lost`,
      { stream, hint: RESYNC_HINT },
    );
  }
}

/**
 * `read`'s checks, without reading (what `mage-int check` reports): every selected table exists and may be read;
 * for LOG_BASED streams the binlog settings, the replication grants, a usable stream (a table with a key), and a
 * saved position the server can still continue from.
 */
export async function preflight(
  client: MySqlClient,
  config: Config,
  selected: readonly CatalogStream[],
  state: State,
): Promise<ServerInfo | undefined> {
  for (const stream of selected) {
    const { database, table } = tableOf(stream);
    try {
      await client.query(`SELECT 1 FROM ${qualified(database, table)} LIMIT 0`);
    } catch (error) {
      throw explainError(error, config, stream.tap_stream_id);
    }
  }
  const logBased = selected.filter((s) => replicationMethod(s) === 'LOG_BASED');
  if (logBased.length === 0) return undefined;
  for (const stream of logBased) assertLogBasedStreamUsable(stream);
  const info = await checkBinlogServer(client, config);
  for (const stream of logBased) await checkResumable(client, info, stream.tap_stream_id, state.bookmarks?.[stream.tap_stream_id] ?? {});
  return info;
}
