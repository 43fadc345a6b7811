import { ConnectorError, type CatalogStream, type ConnectorContext, type SourceMessage, type State } from '@mage-int/core';
import type { Config } from './generated/config.js';
import type { ReadEnv } from './read-full-table.js';
import type { TypeRegistry } from './type-map.js';

export async function* readLogBased(_config: Config, _env: ReadEnv, streams: CatalogStream[], _registry: TypeRegistry, _ctx: ConnectorContext): AsyncGenerator<SourceMessage> {
  throw new ConnectorError('NOT_IMPLEMENTED', `LOG_BASED is not implemented yet (${streams.length} streams)`);
}

export async function commitLogPosition(_config: Config, _state: State, _ctx: ConnectorContext): Promise<void> {}
