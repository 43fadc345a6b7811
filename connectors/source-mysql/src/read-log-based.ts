import { ConfigError, type CatalogStream, type ConnectorContext, type SourceMessage, type State } from '@mage-int/core';
import type { MySqlClient } from './connection.js';
import type { Config } from './generated/config.js';
import type { ServerInfo } from './server-info.js';

/** LOG_BASED comes next; until then it is refused, never a silent empty read. */
export async function* readLogBased(_config: Config, _client: MySqlClient, _info: ServerInfo, streams: CatalogStream[], _state: State, _ctx: ConnectorContext): AsyncGenerator<SourceMessage> {
  throw new ConfigError('REPLICATION_METHOD_UNSUPPORTED', 'LOG_BASED is not available in this version of source-mysql', { stream: streams[0]?.tap_stream_id, hint: 'use FULL_TABLE or INCREMENTAL' });
}

export async function commitBinlogPosition(_config: Config, _state: State, _ctx: ConnectorContext): Promise<void> {}
