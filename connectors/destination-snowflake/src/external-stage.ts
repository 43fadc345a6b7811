import { ConfigError } from '@mage-int/core';
import { S3Storage } from '@mage-int/files-s3';
import type { ResolvedConfig } from './generated/config.js';
import type { SnowflakeDialect } from './snowflake-dialect.js';

export type ExternalStageConfig = NonNullable<ResolvedConfig['external_stage']>;

/** The settings refused before anything is uploaded: Snowflake must have a way to read the bucket. */
export function checkExternalStage(config: ResolvedConfig): void {
  const ext = config.external_stage;
  if (!ext) return;
  if (config.stage)
    throw new ConfigError('SNOWFLAKE_TWO_STAGES', 'give `stage` (an internal stage) or `external_stage`, not both', { field: 'stage' });
  if (!ext.stage && !ext.storage_integration && !(ext.access_key_id && ext.secret_access_key))
    throw new ConfigError('SNOWFLAKE_STAGE_ACCESS', 'Snowflake cannot read the external stage: no stage, storage integration or keys', {
      field: 'external_stage.storage_integration',
      hint: "set external_stage.stage (a named stage on the bucket), external_stage.storage_integration, or access_key_id and secret_access_key (passed to Snowflake as the temporary stage's CREDENTIALS)",
    });
}

/**
 * Load files on S3 for `COPY INTO … FROM @stage`: uploaded with the AWS SDK (the files kit's S3 storage) under
 * `<prefix>/<run>/<staging table>/`, read by Snowflake through a named external stage, or a temporary stage created
 * once per session from a storage integration or the keys (`CREATE TEMPORARY STAGE … URL = 's3://…' CREDENTIALS =
 * (…)`: COPY's column transformations — PARSE_JSON for VARIANT — are allowed only from a stage, not from a bare
 * `'s3://…'` location), and deleted after the COPY.
 */
export class ExternalStage {
  private readonly storage: S3Storage;
  private readonly run = `mage-int-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  private created = false;
  private files = 0;

  constructor(
    private readonly settings: ExternalStageConfig,
    private readonly dialect: SnowflakeDialect,
    private readonly runToken: string,
  ) {
    this.storage = new S3Storage(settings);
  }

  /** `s3://bucket/prefix/` as Snowflake names the stage's location. */
  get url(): string {
    return this.storage.location;
  }

  /** The stage the COPY reads from (a temporary one's name carries the run token so sessions do not collide). */
  private get stageName(): string {
    return this.settings.stage ?? `"_MAGE_EXT_STAGE_${this.runToken.toUpperCase()}"`;
  }

  /** The statement creating the session's temporary stage, or undefined when a named stage is used or it exists. */
  createStatement(): string | undefined {
    if (this.settings.stage || this.created) return undefined;
    this.created = true;
    const access = this.settings.storage_integration
      ? `STORAGE_INTEGRATION = ${this.settings.storage_integration}`
      : `CREDENTIALS = (AWS_KEY_ID = ${this.dialect.quoteLiteral(this.settings.access_key_id ?? '')} AWS_SECRET_KEY = ${this.dialect.quoteLiteral(this.settings.secret_access_key ?? '')}${this.settings.session_token ? ` AWS_TOKEN = ${this.dialect.quoteLiteral(this.settings.session_token)}` : ''})`;
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
