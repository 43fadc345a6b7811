import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { checkKilledUpload, holdingProxy, S3_UPLOAD_PART } from '@mage-int/files/testing';
import { startS3, type S3StandIn } from '@mage-int/files-s3/testing';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const bin = join(packageDir, 'dist/bin.js');
let s3: S3StandIn;
let client: S3Client;

describe('destination-s3 killed during a multipart upload', () => {
  beforeAll(async () => {
    if (!existsSync(bin)) execFileSync('npm', ['run', 'build'], { cwd: packageDir, stdio: 'ignore' });
    s3 = await startS3();
    client = new S3Client({
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
  }, 180_000);
  afterAll(async () => {
    client.destroy();
    await s3.close();
  });

  it('leaves no object under the final name and releases no STATE; the rerun stores the whole file', async () => {
    await checkKilledUpload({
      bin,
      env: { AWS_EC2_METADATA_DISABLED: 'true' },
      config: (endpoint) => ({ ...s3.settings, ...(endpoint ? { endpoint } : {}), prefix: 'out', format: 'jsonl' }),
      // The first UploadPart is held (never forwarded), so the kill lands with the multipart upload open.
      killDuringUpload: (kill) => holdingProxy(s3.endpoint, S3_UPLOAD_PART, kill),
      keys: async () =>
        ((await client.send(new ListObjectsV2Command({ Bucket: s3.settings.bucket, Prefix: 'out/' }))).Contents ?? []).map(
          (o) => o.Key as string,
        ),
      read: async (key) => text((await client.send(new GetObjectCommand({ Bucket: s3.settings.bucket, Key: key }))).Body as Readable),
    });
  });
});
