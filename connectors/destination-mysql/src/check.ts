import { formatError, type CheckResult, type ConnectorContext } from '@mage-int/core';
import { connect, explainError, resolveConfig } from './connection.js';
import type { Config } from './generated/config.js';
import { MysqlDialect } from './mysql-dialect.js';

/**
 * Connects as a run does (the database created when missing), then creates and drops a table in the database,
 * so missing rights show now rather than at the first SCHEMA.
 */
export async function check(input: Config, ctx: ConnectorContext): Promise<CheckResult> {
  const config = resolveConfig(input, ctx.logger);
  let client;
  try {
    client = await connect(config);
    const dialect = new MysqlDialect(client.server);
    const probe = dialect.qualify({ schema: config.database, name: `_mage_check_${process.pid}_${Date.now().toString(36)}` });
    try {
      await client.query(`CREATE TABLE ${probe} (id INT PRIMARY KEY) ENGINE=InnoDB`);
      await client.query(`DROP TABLE ${probe}`);
    } catch (error) {
      throw explainError(error, config);
    }
    return {
      ok: true,
      message: `connected to ${client.server.mariadb ? 'MariaDB' : 'MySQL'} ${client.server.version}, database \`${config.database}\` (tables can be created)`,
    };
  } catch (error) {
    return { ok: false, message: formatError(error), error };
  } finally {
    await client?.end();
  }
}
