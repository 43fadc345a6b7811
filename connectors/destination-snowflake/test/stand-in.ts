// A Snowflake stand-in (tools/testkit: DuckDB behind the protocol snowflake-sdk speaks) and a config that points the
// destination at it: its URL as `access_url`, a user with a password, and a fresh schema.
import { startSnowflakeStandIn, type SnowflakeStandIn, type SnowflakeStandInOptions } from '@mage-int/testkit';
import type { Config } from '../src/generated/config.js';

let schemas = 0;

/** A stand-in and a config for a schema of its own on it. */
export async function standInConfig(
  options: SnowflakeStandInOptions = {},
  extra: Partial<Config> = {},
): Promise<{ standIn: SnowflakeStandIn; config: Config }> {
  const standIn = await startSnowflakeStandIn(options);
  standIn.addUser('loader', { password: 'stand-in-password' });
  const config: Config = {
    account: standIn.account,
    user: 'loader',
    password: 'stand-in-password',
    warehouse: 'LOADING_WH',
    database: standIn.database,
    schema: `mage_test_${process.pid}_${++schemas}`,
    access_url: standIn.url,
    ...extra,
  };
  return { standIn, config };
}
