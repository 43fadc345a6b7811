import { ConfigError } from '@mage-int/core';
import type { SnowflakeSession } from '@mage-int/snowflake';
import type { ResolvedConfig } from './generated/config.js';

/**
 * Makes sure the session has the configured warehouse in use. Snowflake accepts a login naming a warehouse that does
 * not exist (or that the role may not use) and leaves the session without one; every query would then fail with
 * 000606. `CURRENT_WAREHOUSE()` says so up front, naming the setting.
 */
export async function warehouseInUse(session: SnowflakeSession, config: ResolvedConfig): Promise<void> {
  const rows = await session.query('SELECT CURRENT_WAREHOUSE() AS WAREHOUSE, CURRENT_ROLE() AS ROLE', 'the session');
  const current = rows[0]?.['WAREHOUSE'];
  if (current === null || current === undefined || current === '')
    throw new ConfigError(
      'SNOWFLAKE_NO_WAREHOUSE',
      `warehouse ${config.warehouse} is not in use: it does not exist or role ${String(rows[0]?.['ROLE'] ?? config.role ?? '(default)')} may not use it`,
      {
        field: 'warehouse',
        hint: 'set `warehouse` to an existing warehouse and GRANT USAGE ON WAREHOUSE … TO ROLE … (see the README: grants)',
      },
    );
}
