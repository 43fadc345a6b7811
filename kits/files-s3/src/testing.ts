/**
 * S3 for tests (`@mage-int/files-s3/testing`): s3rver — an S3 implementation on the local file system, a
 * development dependency (install it to use this) — on 127.0.0.1 at a random port, with a bucket, and the storage
 * settings to reach it. The AWS SDK is kept off every other address: no instance-metadata credential probes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

export interface S3StandIn {
  endpoint: string;
  settings: {
    bucket: string;
    endpoint: string;
    region: string;
    force_path_style: boolean;
    access_key_id: string;
    secret_access_key: string;
  };
  close(): Promise<void>;
}

export async function startS3(bucket = 'test-bucket'): Promise<S3StandIn> {
  process.env['AWS_EC2_METADATA_DISABLED'] = 'true';
  const S3rver = ((await import('s3rver' as string)) as { default: S3rverClass }).default;
  const directory = mkdtempSync(join(tmpdir(), 'mage-s3rver-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', directory, silent: true, configureBuckets: [{ name: bucket, configs: [] }] });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    endpoint,
    // s3rver's fixed credentials.
    settings: { bucket, endpoint, region: 'us-east-1', force_path_style: true, access_key_id: 'S3RVER', secret_access_key: 'S3RVER' },
    async close() {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
