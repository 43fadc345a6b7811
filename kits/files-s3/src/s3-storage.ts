import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { Upload } from '@aws-sdk/lib-storage';
import { ConnectorError } from '@mage-int/core';
import type { FileInfo, Storage } from '@mage-int/files';

/** The S3 settings of source-s3 and destination-s3 (storage-spec.json). */
export interface S3Settings {
  bucket: string;
  prefix?: string;
  region?: string;
  endpoint?: string;
  force_path_style?: boolean;
  access_key_id?: string;
  secret_access_key?: string;
  session_token?: string;
  role_arn?: string;
  role_session_name?: string;
  external_id?: string;
}

/** Multipart part size: S3's minimum is 5 MiB; 8 MiB parts, four in flight, keep memory near 32 MiB per upload. */
const PART_SIZE = 8 * 1024 * 1024;

/** What the user can do about an S3 error, by its code. */
function s3Hint(error: unknown, settings: S3Settings, action: string): string {
  const name = (error as { name?: string }).name ?? '';
  if (name === 'NoSuchBucket')
    return `the bucket "${settings.bucket}" does not exist in ${settings.region ?? 'us-east-1'} (or at the endpoint)`;
  if (/AccessDenied|Forbidden/.test(name)) return `the credentials may not ${action}: see the IAM policy in the connector's README`;
  if (/InvalidAccessKeyId|SignatureDoesNotMatch/.test(name)) return 'check access_key_id and secret_access_key';
  if (/PermanentRedirect|AuthorizationHeaderMalformed/.test(name)) return "set `region` to the bucket's region";
  if (/ECONNREFUSED|ENOTFOUND|ETIMEDOUT/.test(String((error as Error).message) + name))
    return 'check `endpoint` (and `force_path_style` for S3-compatible stores)';
  return 'see the S3 error code';
}

/** Objects in an S3 bucket under a prefix, through the AWS SDK (works with S3-compatible stores via `endpoint`). */
export class S3Storage implements Storage {
  readonly client: S3Client;
  private readonly prefix: string;

  constructor(private readonly settings: S3Settings) {
    const keys =
      settings.access_key_id && settings.secret_access_key
        ? {
            accessKeyId: settings.access_key_id,
            secretAccessKey: settings.secret_access_key,
            ...(settings.session_token ? { sessionToken: settings.session_token } : {}),
          }
        : undefined;
    const region = settings.region ?? 'us-east-1';
    // role_arn (Mage's too): STS AssumeRole with the keys (or the default chain); the SDK renews it before expiry.
    const credentials = settings.role_arn
      ? fromTemporaryCredentials({
          params: {
            RoleArn: settings.role_arn,
            RoleSessionName: settings.role_session_name ?? 'mage-int',
            ...(settings.external_id ? { ExternalId: settings.external_id } : {}),
          },
          ...(keys ? { masterCredentials: keys } : {}),
          clientConfig: { region, ...(settings.endpoint ? { endpoint: settings.endpoint } : {}) },
        })
      : keys;
    this.client = new S3Client({
      region,
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      forcePathStyle: settings.force_path_style ?? false,
      ...(credentials ? { credentials } : {}),
      // Checksums only where S3 requires them: S3-compatible stores that do not know the newer default
      // (CRC32 trailers in aws-chunked bodies) would otherwise store the chunk framing as the object's bytes.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const prefix = (settings.prefix ?? '').replace(/^\/+/, '');
    this.prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
  }

  get location(): string {
    return `s3://${this.settings.bucket}/${this.prefix}`;
  }

  private fail(error: unknown, action: string, key?: string): never {
    const code = error instanceof S3ServiceException ? error.name : (error as Error).name;
    throw new ConnectorError(
      'S3_REQUEST_FAILED',
      `S3 ${action}${key === undefined ? '' : ` of ${this.prefix}${key}`} in bucket "${this.settings.bucket}" failed: ${code}: ${(error as Error).message}`,
      {
        hint: s3Hint(error, this.settings, action),
        cause: error,
      },
    );
  }

  async *list(prefix: string, signal?: AbortSignal): AsyncIterable<FileInfo> {
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.settings.bucket,
            Prefix: this.prefix + prefix,
            ...(token ? { ContinuationToken: token } : {}),
          }),
          { abortSignal: signal },
        );
      } catch (error) {
        this.fail(error, 's3:ListBucket');
      }
      for (const object of page.Contents ?? []) {
        if (!object.Key || object.Key.endsWith('/')) continue;
        const key = object.Key.slice(this.prefix.length);
        if (key.split('/').some((part) => part.startsWith('.'))) continue;
        yield { key, size: object.Size ?? 0, modified: object.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  async stat(key: string): Promise<FileInfo | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: this.prefix + key }));
      return { key, size: head.ContentLength ?? 0, modified: head.LastModified ?? new Date(0) };
    } catch (error) {
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined;
      this.fail(error, 's3:GetObject (HEAD)', key);
    }
  }

  async read(key: string, signal?: AbortSignal): Promise<Readable> {
    try {
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: this.prefix + key }), {
        abortSignal: signal,
      });
      return object.Body as Readable;
    } catch (error) {
      this.fail(error, 's3:GetObject', key);
    }
  }

  /**
   * Uploads the file (multipart above one part): S3 makes an object visible only when its PUT or its
   * CompleteMultipartUpload succeeds, so a failed, aborted or killed upload leaves nothing under `key`.
   * A failed multipart upload is aborted (its parts deleted); one cut by a kill stays as an incomplete upload
   * until the bucket's lifecycle rule (AbortIncompleteMultipartUpload) removes it.
   */
  async putFile(key: string, path: string, signal?: AbortSignal): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.settings.bucket, Key: this.prefix + key, Body: createReadStream(path) },
      partSize: PART_SIZE,
      queueSize: 4,
      leavePartsOnError: false,
    });
    const abort = () => void upload.abort().catch(() => {});
    signal?.addEventListener('abort', abort, { once: true });
    try {
      await upload.done();
    } catch (error) {
      this.fail(error, 's3:PutObject', key);
    } finally {
      signal?.removeEventListener('abort', abort);
    }
  }

  /**
   * Deletes the objects under `keys` (relative to the prefix), 1,000 per DeleteObjects request (S3's limit); a key
   * that does not exist is no error. Used for files that only pass through S3, such as a warehouse's load files.
   */
  async delete(keys: readonly string[]): Promise<void> {
    for (let start = 0; start < keys.length; start += 1000) {
      const batch = keys.slice(start, start + 1000);
      let answer;
      try {
        answer = await this.client.send(
          new DeleteObjectsCommand({
            Bucket: this.settings.bucket,
            Delete: { Objects: batch.map((key) => ({ Key: this.prefix + key })), Quiet: true },
          }),
        );
      } catch (error) {
        this.fail(error, 's3:DeleteObject', batch[0]);
      }
      const failed = answer.Errors?.[0];
      if (failed)
        this.fail(
          Object.assign(new Error(failed.Message ?? 'refused'), { name: failed.Code ?? 'DeleteFailed' }),
          's3:DeleteObject',
          failed.Key?.slice(this.prefix.length),
        );
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
