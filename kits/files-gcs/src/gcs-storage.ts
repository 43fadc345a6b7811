import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { Storage as GoogleStorage, type Bucket } from '@google-cloud/storage';
import { ConfigError, ConnectorError } from '@mage-int/core';
import type { FileInfo, Storage } from '@mage-int/files';

/** The GCS settings of source-gcs and destination-gcs (storage-spec.json). */
export interface GcsSettings {
  bucket: string;
  prefix?: string;
  project_id?: string;
  credentials_json?: string;
  credentials_file?: string;
  credentials_info?: Record<string, unknown> | null;
  endpoint?: string;
}

/** Above this size uploads are resumable (8 MiB chunks); below, one multipart request. Either way the object appears only when complete. */
const RESUMABLE_FROM = 8 * 1024 * 1024;

function gcsHint(error: unknown, settings: GcsSettings): string {
  const code = (error as { code?: number | string }).code;
  if (code === 404) return `the bucket "${settings.bucket}" does not exist (or the object is gone)`;
  if (code === 401 || code === 403) return 'the credentials lack a permission: see the roles in the connector README';
  if (/ECONNREFUSED|ENOTFOUND/.test(String(code) + String((error as Error).message))) return 'check `endpoint`';
  return 'see the Google Cloud Storage error';
}

/**
 * The service account key of the settings: `credentials_json` (the key's text), `credentials_file` (Mage's
 * path_to_credentials_json_file / google_application_credentials) or `credentials_info` (the key as an object);
 * undefined for the SDK's default credentials. More than one is refused.
 */
function serviceAccountKey(settings: GcsSettings): Record<string, unknown> | undefined {
  const given = (['credentials_json', 'credentials_file', 'credentials_info'] as const).filter(
    (name) => settings[name] !== undefined && settings[name] !== null && settings[name] !== '',
  );
  if (given.length > 1) {
    throw new ConfigError('GCS_CREDENTIALS_AMBIGUOUS', `${given.join(' and ')} both give a service account key`, {
      field: given[1],
      hint: 'give only one of them',
    });
  }
  if (settings.credentials_info) return settings.credentials_info;
  let text = settings.credentials_json;
  const field = settings.credentials_file ? 'credentials_file' : 'credentials_json';
  if (settings.credentials_file) {
    try {
      text = readFileSync(settings.credentials_file, 'utf8');
    } catch (error) {
      throw new ConfigError(
        'GCS_CREDENTIALS_UNREADABLE',
        `cannot read the service account key file ${settings.credentials_file}: ${(error as Error).message}`,
        {
          field,
          hint: 'point credentials_file (Mage: path_to_credentials_json_file) at the JSON key downloaded for the service account',
        },
      );
    }
  }
  if (!text) return undefined;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new ConfigError(
      'GCS_CREDENTIALS_INVALID',
      `${field === 'credentials_file' ? `the file ${settings.credentials_file}` : 'credentials_json'} is not JSON`,
      {
        field,
        hint: 'use the whole service account key file as downloaded',
      },
    );
  }
}

/** Objects in a Google Cloud Storage bucket under a prefix, through the official SDK's JSON API client. */
export class GcsStorage implements Storage {
  private readonly bucket: Bucket;
  private readonly prefix: string;

  constructor(private readonly settings: GcsSettings) {
    const credentials = serviceAccountKey(settings);
    const client = new GoogleStorage({
      ...(settings.project_id ? { projectId: settings.project_id } : {}),
      ...(credentials ? { credentials } : {}),
      ...(settings.endpoint ? { apiEndpoint: settings.endpoint.replace(/\/+$/, '') } : {}),
    });
    this.bucket = client.bucket(settings.bucket);
    const prefix = (settings.prefix ?? '').replace(/^\/+/, '');
    this.prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  }

  get location(): string {
    return `gs://${this.settings.bucket}/${this.prefix}`;
  }

  private fail(error: unknown, action: string, key?: string): never {
    const code = (error as { code?: number | string }).code ?? (error as Error).name;
    throw new ConnectorError(
      'GCS_REQUEST_FAILED',
      `GCS ${action}${key === undefined ? '' : ` of ${this.prefix}${key}`} in bucket "${this.settings.bucket}" failed: ${code}: ${(error as Error).message.split('\n')[0]}`,
      {
        hint: gcsHint(error, this.settings),
        cause: error,
      },
    );
  }

  async *list(prefix: string): AsyncIterable<FileInfo> {
    let pageToken: string | undefined;
    do {
      let files;
      let next;
      try {
        [files, next] = await this.bucket.getFiles({
          prefix: this.prefix + prefix,
          autoPaginate: false,
          maxResults: 1000,
          ...(pageToken ? { pageToken } : {}),
        });
      } catch (error) {
        this.fail(error, 'list');
      }
      for (const file of files) {
        const key = file.name.slice(this.prefix.length);
        if (key === '' || key.endsWith('/') || key.split('/').some((part) => part.startsWith('.'))) continue;
        yield { key, size: Number(file.metadata.size ?? 0), modified: new Date(String(file.metadata.updated ?? 0)) };
      }
      pageToken = (next as { pageToken?: string } | null)?.pageToken;
    } while (pageToken);
  }

  async stat(key: string): Promise<FileInfo | undefined> {
    try {
      const [metadata] = await this.bucket.file(this.prefix + key).getMetadata();
      return { key, size: Number(metadata.size ?? 0), modified: new Date(String(metadata.updated ?? 0)) };
    } catch (error) {
      if ((error as { code?: number }).code === 404) return undefined;
      this.fail(error, 'get metadata', key);
    }
  }

  async read(key: string): Promise<Readable> {
    // Fails early (with the hint) rather than in the middle of the stream.
    const found = await this.stat(key);
    if (!found) this.fail(Object.assign(new Error('No such object'), { code: 404 }), 'download', key);
    return this.bucket.file(this.prefix + key).createReadStream();
  }

  /** One multipart upload, or a resumable one above 8 MiB: the object exists only once the last byte is in. */
  async putFile(key: string, path: string): Promise<void> {
    const { size } = await import('node:fs/promises').then((fs) => fs.stat(path));
    try {
      await this.bucket.upload(path, {
        destination: this.prefix + key,
        resumable: size >= RESUMABLE_FROM,
        chunkSize: RESUMABLE_FROM,
        contentType: 'application/octet-stream',
      });
    } catch (error) {
      this.fail(error, 'upload', key);
    }
  }

  /** Deletes the objects under `keys` (relative to the prefix), one request each; a missing object is no error. */
  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      try {
        await this.bucket.file(this.prefix + key).delete({ ignoreNotFound: true });
      } catch (error) {
        this.fail(error, 'delete', key);
      }
    }
  }

  async close(): Promise<void> {}
}
