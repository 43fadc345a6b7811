import { ConfigError } from '@mage-int/core';
import type { Storage } from '@mage-int/files';
import { AzureBlobStorage } from '@mage-int/files-azure';
import { GcsStorage } from '@mage-int/files-gcs';
import { S3Storage } from '@mage-int/files-s3';
import type { ResolvedConfig } from './generated/config.js';
import type { SnowflakeDialect } from './snowflake-dialect.js';

export type ExternalStageConfig = NonNullable<ResolvedConfig['external_stage']>;
type Provider = ExternalStageConfig['provider'];

/** The settings only one store reads (those with a default are left out: they are always present once resolved). */
const OWN_SETTINGS: Record<Provider, readonly (keyof ExternalStageConfig)[]> = {
  s3: ['bucket', 'access_key_id', 'secret_access_key', 'session_token', 'role_arn', 'external_id'],
  gcs: ['bucket', 'project_id', 'credentials_json', 'credentials_file'],
  azure: ['container', 'account_name', 'account_key', 'sas_token', 'connection_string'],
};

function refuse(code: string, message: string, field: string, hint: string): never {
  throw new ConfigError(code, message, { field: `external_stage.${field}`, hint });
}

/** The settings refused before anything is uploaded: one store's settings only, and a way for Snowflake to read it. */
export function checkExternalStage(config: ResolvedConfig): void {
  const ext = config.external_stage;
  if (!ext) return;
  if (config.stage)
    throw new ConfigError('SNOWFLAKE_TWO_STAGES', 'give `stage` (an internal stage) or `external_stage`, not both', { field: 'stage' });
  const provider = ext.provider;
  const own = new Set(OWN_SETTINGS[provider]);
  for (const name of new Set(Object.values(OWN_SETTINGS).flat())) {
    if (own.has(name) || ext[name] === undefined) continue;
    const owners = (Object.keys(OWN_SETTINGS) as Provider[]).filter((p) => OWN_SETTINGS[p].includes(name));
    refuse(
      'SNOWFLAKE_STAGE_FOREIGN_SETTING',
      `external_stage.${name} is a setting of ${owners.join(' and ')}, not of provider ${provider}`,
      name,
      `remove it, or set external_stage.provider to ${owners.map((o) => `"${o}"`).join(' or ')}`,
    );
  }
  if (provider === 'azure') {
    if (!ext.container)
      refuse('SNOWFLAKE_STAGE_CONTAINER', 'external_stage.container is required for azure', 'container', 'name the container');
    if (!ext.account_name && !ext.connection_string)
      refuse(
        'SNOWFLAKE_STAGE_ACCOUNT',
        'the azure stage needs account_name (or a connection_string)',
        'account_name',
        'the stage URL is azure://<account_name>.blob.core.windows.net/<container>/',
      );
  } else if (!ext.bucket)
    refuse('SNOWFLAKE_STAGE_BUCKET', `external_stage.bucket is required for ${provider}`, 'bucket', 'name the bucket');
  if (ext.stage || ext.storage_integration) return;
  if (provider === 's3' && !(ext.access_key_id && ext.secret_access_key))
    refuse(
      'SNOWFLAKE_STAGE_ACCESS',
      'Snowflake cannot read the external stage: no stage, storage integration or keys',
      'storage_integration',
      "set external_stage.stage (a named stage on the bucket), external_stage.storage_integration, or access_key_id and secret_access_key (passed to Snowflake as the temporary stage's CREDENTIALS)",
    );
  if (provider === 'gcs')
    refuse(
      'SNOWFLAKE_STAGE_ACCESS',
      'Snowflake cannot read the gcs external stage: no stage or storage integration (Snowflake takes no credentials for GCS stages)',
      'storage_integration',
      "set external_stage.storage_integration (CREATE STORAGE INTEGRATION … STORAGE_PROVIDER = 'GCS') or external_stage.stage (a named stage on the bucket)",
    );
  if (provider === 'azure' && !ext.sas_token)
    refuse(
      'SNOWFLAKE_STAGE_ACCESS',
      'Snowflake cannot read the azure external stage: no stage, storage integration or sas_token',
      'storage_integration',
      "set external_stage.storage_integration, external_stage.stage, or sas_token (passed to Snowflake as the temporary stage's CREDENTIALS = (AZURE_SAS_TOKEN = …))",
    );
}

/** A prefix as the storages use it: no leading `/`, a trailing one unless empty. */
function folderPrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, '');
  return trimmed === '' || trimmed.endsWith('/') ? trimmed : `${trimmed}/`;
}

/** The account of an Azure connection string (`AccountName=…`). */
function connectionStringAccount(connection: string): string | undefined {
  return /(?:^|;)\s*AccountName=([^;]+)/i.exec(connection)?.[1];
}

/**
 * The store a provider's load files pass through: the files kit's storage (which can delete), the stage's URL as
 * Snowflake writes it (docs.snowflake.com: CREATE STAGE, externalStageParams), and the temporary stage's
 * CREDENTIALS clause when Snowflake is to read with credentials rather than a storage integration.
 */
function openStore(
  settings: ExternalStageConfig,
  dialect: SnowflakeDialect,
): { storage: Storage & Required<Pick<Storage, 'delete' | 'close'>>; url: string; credentials: () => string } {
  const prefix = folderPrefix(settings.prefix);
  const quote = (value: string | undefined) => dialect.quoteLiteral(value ?? '');
  switch (settings.provider) {
    case 'gcs': {
      const storage = new GcsStorage({
        bucket: settings.bucket ?? '',
        prefix,
        ...(settings.project_id ? { project_id: settings.project_id } : {}),
        ...(settings.credentials_json ? { credentials_json: settings.credentials_json } : {}),
        ...(settings.credentials_file ? { credentials_file: settings.credentials_file } : {}),
        ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      });
      // checkExternalStage refuses a gcs stage without an integration or a named stage: no credentials clause.
      return { storage, url: `gcs://${settings.bucket}/${prefix}`, credentials: () => '' };
    }
    case 'azure': {
      const account = settings.account_name ?? connectionStringAccount(settings.connection_string ?? '') ?? '';
      const storage = new AzureBlobStorage({
        container: settings.container ?? '',
        prefix,
        ...(settings.account_name ? { account_name: settings.account_name } : {}),
        ...(settings.account_key ? { account_key: settings.account_key } : {}),
        ...(settings.sas_token ? { sas_token: settings.sas_token } : {}),
        ...(settings.connection_string ? { connection_string: settings.connection_string } : {}),
        ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      });
      return {
        storage,
        url: `azure://${account}.blob.core.windows.net/${settings.container}/${prefix}`,
        credentials: () => `CREDENTIALS = (AZURE_SAS_TOKEN = ${quote(settings.sas_token?.replace(/^\?/, ''))})`,
      };
    }
    default: {
      const storage = new S3Storage({ ...settings, bucket: settings.bucket ?? '' });
      return {
        storage,
        url: storage.location,
        credentials: () =>
          `CREDENTIALS = (AWS_KEY_ID = ${quote(settings.access_key_id)} AWS_SECRET_KEY = ${quote(settings.secret_access_key)}${settings.session_token ? ` AWS_TOKEN = ${quote(settings.session_token)}` : ''})`,
      };
    }
  }
}

/**
 * Load files on S3, GCS or Azure Blob for `COPY INTO … FROM @stage`: uploaded with the store's SDK (the files kit's
 * storage) under `<prefix>/<run>/<staging table>/`, read by Snowflake through a named external stage, or a temporary
 * stage created once per session from a storage integration or credentials (`CREATE TEMPORARY STAGE … URL = '…'
 * CREDENTIALS = (…)`: COPY's column transformations — PARSE_JSON for VARIANT — are allowed only from a stage, not
 * from a bare location), and deleted after the COPY.
 */
export class ExternalStage {
  private readonly storage: Storage & Required<Pick<Storage, 'delete' | 'close'>>;
  private readonly location: string;
  private readonly credentials: () => string;
  private readonly run = `mage-int-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  private created = false;
  private files = 0;

  constructor(
    private readonly settings: ExternalStageConfig,
    private readonly dialect: SnowflakeDialect,
    private readonly runToken: string,
  ) {
    const store = openStore(settings, dialect);
    this.storage = store.storage;
    this.location = store.url;
    this.credentials = store.credentials;
  }

  /** `s3://bucket/prefix/`, `gcs://bucket/prefix/` or `azure://account.blob.core.windows.net/container/prefix/`. */
  get url(): string {
    return this.location;
  }

  /** The stage the COPY reads from (a temporary one's name carries the run token so sessions do not collide). */
  private get stageName(): string {
    return this.settings.stage ?? `"_MAGE_EXT_STAGE_${this.runToken.toUpperCase()}"`;
  }

  /** The statement creating the session's temporary stage, or undefined when a named stage is used or it exists. */
  createStatement(): string | undefined {
    if (this.settings.stage || this.created) return undefined;
    this.created = true;
    const access = this.settings.storage_integration ? `STORAGE_INTEGRATION = ${this.settings.storage_integration}` : this.credentials();
    return `CREATE TEMPORARY STAGE IF NOT EXISTS ${this.stageName} URL = ${this.dialect.quoteLiteral(this.url)} ${access}`;
  }

  /** Uploads a load file for a staging table; returns the stage folder the COPY reads, the file's name, and its removal. */
  async upload(table: string, path: string): Promise<{ stage: string; file: string; remove: () => Promise<void> }> {
    const folder = `${this.run}/${table}`;
    const file = `rows-${++this.files}.csv.gz`;
    await this.storage.putFile(`${folder}/${file}`, path);
    return { stage: `@${this.stageName}/${folder}`, file, remove: () => this.storage.delete([`${folder}/${file}`]) };
  }

  async close(): Promise<void> {
    await this.storage.close();
  }
}
