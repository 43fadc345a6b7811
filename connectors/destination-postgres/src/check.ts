import { formatError, type CheckResult, type ConnectorContext } from '@mage-int/core';
import { connect, resolveConfig } from './connection.js';
import type { Config } from './generated/config.js';

/**
 * Connects as a run would — which includes the check that tables can be created in the schema (schema-access.ts) —
 * so a failure reads exactly as the run's would.
 */
export async function check(config: Config, _ctx: ConnectorContext): Promise<CheckResult> {
  const resolved = resolveConfig(config);
  let client;
  try {
    client = await connect(resolved);
    const { rows } = await client.query<{ version: string; exists: boolean }>(
      `SELECT current_setting('server_version') AS version, EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS exists`,
      [resolved.schema],
    );
    const row = rows[0]!;
    return {
      ok: true,
      message: `connected to PostgreSQL ${row.version}, database ${resolved.database}, schema "${resolved.schema}"${row.exists ? '' : ' (will be created)'}`,
    };
  } catch (error) {
    return { ok: false, message: formatError(error), error };
  } finally {
    await client?.end().catch(() => {});
  }
}
