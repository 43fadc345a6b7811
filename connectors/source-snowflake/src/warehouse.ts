import { ConfigError } from '@mage-int/core';
import type { SnowflakeSession } from '@mage-int/snowflake';
import type { ResolvedConfig } from './generated/config.js';

/**
 * What the session has in use, checked: the warehouse and the database. Snowflake accepts a login naming a warehouse
 * that does not exist (or that the role may not use) and leaves the session without one — every query would then
 * fail with 000606 — so `CURRENT_WAREHOUSE()` says so up front, naming the setting. `CURRENT_DATABASE()` is the
 * database's name as Snowflake has it (the login resolves `database` as an unquoted name: `analytics` is `ANALYTICS`),
 * which quoted names in queries must use.
 */
export async function sessionContext(session: SnowflakeSession, config: ResolvedConfig): Promise<{ database: string }> {
  const rows = await session.query(
    // Quoted aliases: DATABASE is a reserved word in Snowflake.
    'SELECT CURRENT_WAREHOUSE() AS "WAREHOUSE", CURRENT_ROLE() AS "ROLE", CURRENT_DATABASE() AS "DATABASE"',
    'the session',
  );
  const row = rows[0] ?? {};
  const current = row['WAREHOUSE'];
  if (current === null || current === undefined || current === '')
    throw new ConfigError(
      'SNOWFLAKE_NO_WAREHOUSE',
      `warehouse ${config.warehouse} is not in use: it does not exist or role ${String(row['ROLE'] ?? config.role ?? '(default)')} may not use it`,
      {
        field: 'warehouse',
        hint: 'set `warehouse` to an existing warehouse and GRANT USAGE ON WAREHOUSE … TO ROLE … (see the README: grants)',
      },
    );
  const database = row['DATABASE'];
  if (database === null || database === undefined || database === '')
    throw new ConfigError(
      'SNOWFLAKE_NO_DATABASE',
      `database ${config.database} is not in use: it does not exist or the role may not use it`,
      {
        field: 'database',
        hint: 'check `database` and GRANT USAGE ON DATABASE … TO ROLE … (see the README: grants)',
      },
    );
  return { database: String(database) };
}
