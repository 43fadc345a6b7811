// A BigQuery stand-in (tools/testkit: DuckDB behind the BigQuery REST API) and a config that points the
// destination at it: its endpoint, its service account key (whose token_uri is the stand-in) and a fresh dataset.
import { startBigQueryStandIn, type BigQueryStandIn, type BigQueryStandInOptions } from '@mage-int/testkit';
import type { Config } from '../src/generated/config.js';

// The client library must not probe the GCE metadata server (169.254.169.254): nothing here leaves 127.0.0.1.
process.env['METADATA_SERVER_DETECTION'] = 'none';

let datasets = 0;

/** A stand-in and a config for a dataset of its own on it. */
export async function standInConfig(
  options: BigQueryStandInOptions = {},
  extra: Partial<Config> = {},
): Promise<{ standIn: BigQueryStandIn; config: Config }> {
  const standIn = await startBigQueryStandIn(options);
  const config: Config = {
    project_id: standIn.projectId,
    dataset: `mage_test_${process.pid}_${++datasets}`,
    api_endpoint: standIn.url,
    credentials_json: JSON.stringify(standIn.credentials()),
    ...extra,
  };
  return { standIn, config };
}
