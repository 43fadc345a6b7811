// Configs written the way Mage documents them (mage_integrations' templates/config.json and the docs pages of each
// source and destination) load in the mage-int connector for the same system, with the same meaning (issue 19).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateConfig, type JsonSchema } from '@mage-int/core';

const connectorsDir = fileURLToPath(new URL('../../connectors', import.meta.url));

async function spec(connector: string): Promise<JsonSchema> {
  return JSON.parse(await readFile(join(connectorsDir, connector, 'spec.json'), 'utf8')) as JsonSchema;
}

/** Mage's config for a system, what mage-int makes of it (settings it must hold), and names that must be gone. */
const cases: { connector: string; mage: Record<string, unknown>; expected: Record<string, unknown> }[] = [
  {
    connector: 'source-postgres',
    mage: {
      database: 'production',
      host: 'localhost',
      password: 'pw',
      port: 5432,
      schema: 'public',
      username: 'mage',
      replication_slot: 'mage_slot',
      publication_name: 'mage_pub',
      batch_fetch_limit: 50000,
    },
    expected: {
      database: 'production',
      host: 'localhost',
      port: 5432,
      schema: 'public',
      username: 'mage',
      replication_slot: 'mage_slot',
      publication_name: 'mage_pub',
      batch_size: 50000,
    },
  },
  {
    connector: 'destination-postgres',
    mage: { database: 'demo', host: 'db.example.com', password: 'pw', port: 5432, schema: 'public', username: 'guest', lower_case: false },
    expected: { database: 'demo', host: 'db.example.com', port: 5432, schema: 'public', username: 'guest', lowercase_identifiers: false },
  },
  {
    connector: 'source-mysql',
    mage: { database: 'demo', host: 'mysql.example.com', port: 3306, username: 'root', password: 'pw', batch_fetch_limit: 10000 },
    expected: { database: 'demo', host: 'mysql.example.com', port: 3306, username: 'root', batch_size: 10000 },
  },
  {
    // Mage's template as it is: connection_method direct and empty SSH settings are accepted and dropped
    connector: 'source-mysql',
    mage: {
      database: 'demo',
      host: 'mysql.example.com',
      port: 3306,
      username: 'root',
      password: 'pw',
      connection_method: 'direct',
      ssh_host: '',
      ssh_port: 22,
      ssh_username: '',
      ssh_password: '',
      ssh_pkey: '',
    },
    expected: { database: 'demo', host: 'mysql.example.com', port: 3306, username: 'root' },
  },
  {
    connector: 'destination-mysql',
    mage: { database: 'demo', host: 'mysql.example.com', password: 'pw', port: 3306, username: 'root', use_lowercase: false },
    expected: { database: 'demo', port: 3306, lowercase_identifiers: false },
  },
  {
    connector: 'source-stripe',
    mage: { account_id: 'acct_123', client_secret: 'sk_test_abc', start_date: '2022-01-01' },
    expected: { account_id: 'acct_123', api_key: 'sk_test_abc', start_date: '2022-01-01' },
  },
  {
    connector: 'source-hubspot',
    mage: { access_token: 'pat-na1-x', request_timeout: 300, start_date: '2023-01-01T00:00:00Z', disable_collection: true },
    expected: { access_token: 'pat-na1-x', request_timeout_seconds: 300, start_date: '2023-01-01T00:00:00Z' },
  },
  {
    connector: 'source-salesforce',
    mage: { client_id: 'id', client_secret: 'secret', refresh_token: 'token', start_date: '2022-11-30T21:31:20Z', streams: ['Account'] },
    expected: { client_id: 'id', client_secret: 'secret', refresh_token: 'token', objects: ['Account'] },
  },
  {
    connector: 'source-salesforce',
    mage: { client_id: 'id', client_secret: 'secret', refresh_token: 'token', domain: 'test', api_type: 'BULK', streams: ['Account'] },
    expected: { domain: 'test', api_type: 'BULK', objects: ['Account'] },
  },
  {
    connector: 'source-zendesk',
    mage: { subdomain: 'acme', email: 'agent@acme.com', api_token: 't', start_date: '2024-01-01T00:00:00Z', request_timeout: 300 },
    expected: { subdomain: 'acme', email: 'agent@acme.com', request_timeout_seconds: 300 },
  },
  {
    // mage-int's own `streams` next to Mage's names (Mage's search_pattern / table_configs: connectors/source-s3/test/mage-keys.test.ts)
    connector: 'source-s3',
    mage: {
      aws_access_key_id: 'AKIA',
      aws_secret_access_key: 'xyz',
      aws_region: 'us-west-2',
      bucket: 'b',
      file_type: 'infer',
      prefix: 'users/ds/',
      aws_endpoint: 'http://127.0.0.1:9000',
      streams: [{ name: 'users', pattern: '*.csv' }],
    },
    expected: {
      access_key_id: 'AKIA',
      secret_access_key: 'xyz',
      region: 'us-west-2',
      bucket: 'b',
      format: 'auto',
      prefix: 'users/ds/',
      endpoint: 'http://127.0.0.1:9000',
    },
  },
  {
    connector: 'destination-s3',
    mage: {
      aws_access_key_id: 'AKIA',
      aws_secret_access_key: 'xyz',
      aws_region: 'us-west-2',
      bucket: 'b',
      file_type: 'parquet',
      object_key_path: 'users/ds/20221225',
    },
    expected: {
      access_key_id: 'AKIA',
      secret_access_key: 'xyz',
      region: 'us-west-2',
      bucket: 'b',
      format: 'parquet',
      prefix: 'users/ds/20221225',
    },
  },
  {
    connector: 'source-azure-blob',
    mage: {
      connection_string: 'DefaultEndpointsProtocol=https;AccountName=a;AccountKey=k',
      container_name: 'testcontainer',
      prefix: 'users/',
      streams: [{ name: 'users', pattern: '*.csv' }],
    },
    expected: { container: 'testcontainer', prefix: 'users/' },
  },
  {
    connector: 'source-gcs',
    mage: {
      bucket: 'b',
      file_type: 'parquet',
      prefix: 'sales_data_',
      path_to_credentials_json_file: '/secrets/key.json',
      credentials_info: null,
      streams: [{ name: 'sales', pattern: '*.parquet' }],
    },
    expected: { bucket: 'b', format: 'parquet', prefix: 'sales_data_', credentials_file: '/secrets/key.json' },
  },
  {
    connector: 'destination-gcs',
    mage: { bucket: 'b', file_type: 'csv', object_key_path: 'users/ds/20221225', google_application_credentials: '/secrets/key.json' },
    expected: { bucket: 'b', format: 'csv', prefix: 'users/ds/20221225', credentials_file: '/secrets/key.json' },
  },
  {
    connector: 'destination-duckdb',
    mage: { file_path: '/home/src/default_repo/mage_output.duckdb' },
    expected: { path: '/home/src/default_repo/mage_output.duckdb' },
  },
  {
    // docs.mage.ai/data-integrations/destinations/bigquery: the key as a file or as an object, load jobs
    connector: 'destination-bigquery',
    mage: {
      path_to_credentials_json_file: '/secrets/sa.json',
      project_id: 'example_project',
      dataset: 'example_dataset',
      location: 'us-west1',
      disable_update_column_types: false,
      use_batch_load: true,
    },
    expected: {
      path_to_credentials_json_file: '/secrets/sa.json',
      project_id: 'example_project',
      dataset: 'example_dataset',
      location: 'us-west1',
    },
  },
  {
    connector: 'source-bigquery',
    mage: {
      project_id: 'example_project',
      dataset: 'example_dataset',
      credentials_info: { type: 'service_account', client_email: 'a@b', private_key: 'k' },
    },
    expected: { project_id: 'example_project', dataset: 'example_dataset', credentials_info: { client_email: 'a@b' } },
  },
];

describe("Mage's config keys", () => {
  for (const { connector, mage, expected } of cases) {
    it(`${connector} loads Mage's config with the same meaning, without deprecation warnings`, async () => {
      const warnings: string[] = [];
      const schema = await spec(connector);
      const config = validateConfig<Record<string, unknown>>(schema, mage, connector, (message) => warnings.push(message));
      expect(config).toMatchObject(expected);
      // every Mage name was moved to mage-int's (the connector never sees two names for one setting)
      for (const key of Object.keys(mage))
        if (schema.properties?.[key]?.['x-alias-of']) expect(config, `${connector}: ${key}`).not.toHaveProperty(key);
      expect(warnings).toEqual([]);
    });
  }

  it("Mage's SSH tunnel for MySQL is refused with what to do instead, and ignored settings never reach the connector", async () => {
    for (const connector of ['source-mysql', 'destination-mysql']) {
      const schema = await spec(connector);
      expect(() =>
        validateConfig(schema, { database: 'demo', username: 'root', connection_method: 'ssh_tunnel', ssh_host: 'bastion' }, connector),
      ).toThrow(/"connection_method" must be one of "direct" \(got "ssh_tunnel"\)/);
      const config = validateConfig<Record<string, unknown>>(
        schema,
        { database: 'demo', username: 'root', connection_method: 'direct', ssh_host: '' },
        connector,
      );
      expect(Object.keys(config).filter((key) => key.startsWith('ssh_') || key === 'connection_method')).toEqual([]);
      expect(schema.properties?.['connection_method']?.description).toMatch(/ssh -N -L/);
    }
  });

  it('every alias names a setting of its connector, and is not also one of them', async () => {
    for (const connector of await readdir(connectorsDir)) {
      const properties = (await spec(connector)).properties ?? {};
      for (const [name, property] of Object.entries(properties)) {
        const target = property['x-alias-of'];
        if (typeof target !== 'string') continue;
        expect(properties[target], `${connector}: ${name} is an alias of a missing ${target}`).toBeDefined();
        expect(properties[target]?.['x-alias-of'], `${connector}: ${name} → ${target} is an alias itself`).toBeUndefined();
      }
    }
  });
});
