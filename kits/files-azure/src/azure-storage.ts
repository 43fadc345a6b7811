import type { Readable } from 'node:stream';
import { BlobServiceClient, RestError, StorageSharedKeyCredential, type ContainerClient } from '@azure/storage-blob';
import { ConfigError, ConnectorError } from '@mage-int/core';
import type { FileInfo, Storage } from '@mage-int/files';

/** The Azure Blob settings of source-azure-blob and destination-azure-blob (storage-spec.json). */
export interface AzureSettings {
  account_name?: string;
  container: string;
  prefix?: string;
  account_key?: string;
  sas_token?: string;
  connection_string?: string;
  endpoint?: string;
}

const BLOCK_SIZE = 8 * 1024 * 1024;

function serviceClient(settings: AzureSettings): BlobServiceClient {
  if (settings.connection_string) return BlobServiceClient.fromConnectionString(settings.connection_string);
  if (!settings.account_name) {
    throw new ConfigError('AZURE_ACCOUNT_MISSING', 'account_name is required without connection_string', {
      field: 'account_name',
      hint: 'give account_name with account_key or sas_token, or a connection_string',
    });
  }
  const url = (settings.endpoint ?? `https://${settings.account_name}.blob.core.windows.net`).replace(/\/+$/, '');
  if (settings.account_key) return new BlobServiceClient(url, new StorageSharedKeyCredential(settings.account_name, settings.account_key));
  if (settings.sas_token) return new BlobServiceClient(`${url}?${settings.sas_token.replace(/^\?/, '')}`);
  throw new ConfigError('AZURE_CREDENTIALS_MISSING', 'no credentials for the storage account', {
    field: 'account_key',
    hint: 'give account_key, sas_token or connection_string',
  });
}

function azureHint(error: unknown, settings: AzureSettings): string {
  const code = (error as { code?: string }).code ?? '';
  if (code === 'ContainerNotFound') return `the container "${settings.container}" does not exist`;
  if (/AuthorizationFailure|AuthenticationFailed|AuthorizationPermissionMismatch/.test(code))
    return 'check the key or SAS token and its permissions (see the connector README)';
  if (/ECONNREFUSED|ENOTFOUND/.test(code + String((error as Error).message))) return 'check `endpoint` / `account_name`';
  return 'see the Azure error code';
}

/** Blobs in an Azure Blob Storage container under a prefix (block blobs). */
export class AzureBlobStorage implements Storage {
  private readonly service: BlobServiceClient;
  private readonly container: ContainerClient;
  private readonly prefix: string;

  constructor(private readonly settings: AzureSettings) {
    this.service = serviceClient(settings);
    this.container = this.service.getContainerClient(settings.container);
    const prefix = (settings.prefix ?? '').replace(/^\/+/, '');
    this.prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  }

  get location(): string {
    return `${this.container.url.split('?')[0]}/${this.prefix}`;
  }

  private fail(error: unknown, action: string, key?: string): never {
    const code = error instanceof RestError ? (error.code ?? String(error.statusCode)) : (error as Error).name;
    throw new ConnectorError(
      'AZURE_REQUEST_FAILED',
      `Azure Blob ${action}${key === undefined ? '' : ` of ${this.prefix}${key}`} in container "${this.settings.container}" failed: ${code}: ${(error as Error).message.split('\n')[0]}`,
      {
        hint: azureHint(error, this.settings),
        cause: error,
      },
    );
  }

  async *list(prefix: string, signal?: AbortSignal): AsyncIterable<FileInfo> {
    try {
      for await (const blob of this.container.listBlobsFlat({ prefix: this.prefix + prefix, ...(signal ? { abortSignal: signal } : {}) })) {
        const key = blob.name.slice(this.prefix.length);
        if (key === '' || key.endsWith('/') || key.split('/').some((part) => part.startsWith('.'))) continue;
        yield { key, size: blob.properties.contentLength ?? 0, modified: blob.properties.lastModified };
      }
    } catch (error) {
      this.fail(error, 'list');
    }
  }

  async stat(key: string): Promise<FileInfo | undefined> {
    try {
      const properties = await this.container.getBlobClient(this.prefix + key).getProperties();
      return { key, size: properties.contentLength ?? 0, modified: properties.lastModified ?? new Date(0) };
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return undefined;
      this.fail(error, 'get properties', key);
    }
  }

  async read(key: string, signal?: AbortSignal): Promise<Readable> {
    try {
      const response = await this.container.getBlobClient(this.prefix + key).download(0, undefined, signal ? { abortSignal: signal } : {});
      return response.readableStreamBody as Readable;
    } catch (error) {
      this.fail(error, 'download', key);
    }
  }

  /**
   * Uploads the file as a block blob: above one block, blocks are staged and the blob appears only when the block
   * list is committed after the last one, so a failed or killed upload leaves nothing under `key` (staged blocks
   * of a blob never committed are discarded by the service after a week).
   */
  async putFile(key: string, path: string, signal?: AbortSignal): Promise<void> {
    try {
      await this.container.getBlockBlobClient(this.prefix + key).uploadFile(path, {
        blockSize: BLOCK_SIZE,
        concurrency: 4,
        maxSingleShotSize: BLOCK_SIZE,
        ...(signal ? { abortSignal: signal } : {}),
      });
    } catch (error) {
      this.fail(error, 'upload', key);
    }
  }

  /** Deletes the blobs under `keys` (relative to the prefix), one request each; a missing blob is no error. */
  async delete(keys: readonly string[], signal?: AbortSignal): Promise<void> {
    for (const key of keys) {
      try {
        await this.container.getBlobClient(this.prefix + key).deleteIfExists(signal ? { abortSignal: signal } : {});
      } catch (error) {
        this.fail(error, 'delete', key);
      }
    }
  }

  /** Nothing to release: the SDK's HTTP client closes idle sockets itself. */
  async close(): Promise<void> {}
}
