import { formatError, type CheckResult, type ConnectorContext } from '@mage-int/core';
import { connectionOptions, dialectFor, resolveConfig } from './client.js';
import type { Config } from './generated/config.js';
import { SnowflakeConnection } from './snowflake-connection.js';

/**
 * Logs in, makes sure the schema exists, then creates and drops a table, so a missing grant (USAGE on the
 * warehouse, database or schema; CREATE TABLE) shows now rather than at the first SCHEMA message.
 */
export async function check(input: Config, ctx: ConnectorContext): Promise<CheckResult> {
  let connection: SnowflakeConnection | undefined;
  try {
    const config = resolveConfig(input);
    const dialect = dialectFor(config);
    connection = await SnowflakeConnection.open(connectionOptions(config), dialect, { logger: ctx.logger });
    if (!config.skip_schema_creation) for (const sql of dialect.createSchema(config.schema)) await connection.execute(sql);
    const probe = dialect.qualify({ schema: config.schema, name: `_mage_check_${process.pid}_${Date.now().toString(36)}` });
    await connection.execute(`CREATE TABLE ${probe} (ID NUMBER(38,0))`);
    await connection.execute(`DROP TABLE ${probe}`);
    return {
      ok: true,
      message: `account ${config.account}, ${config.database}.${dialect.catalogForm(config.schema)}: tables can be created`,
    };
  } catch (error) {
    return { ok: false, message: formatError(error), error };
  } finally {
    await connection?.close().catch(() => {});
  }
}
