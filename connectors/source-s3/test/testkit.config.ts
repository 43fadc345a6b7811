// The conformance test config (`mage-int test`, tools/testkit/test/connectors.test.ts): setup starts s3rver
// on 127.0.0.1 (a random port) and uploads two streams of objects through the AWS SDK.
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { gzipSync } from 'node:zlib';
import { defineTestConfig } from '@mage-int/testkit';
// By package name, not ../src: `mage-int test` runs this file with plain Node, which imports the built package.
import type { S3SourceConfig } from '@mage-int/source-s3';
import { startS3 } from '@mage-int/files-s3/testing';

export default defineTestConfig<S3SourceConfig>({
  kind: 'source',
  async setup() {
    const s3 = await startS3();
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    const put = (key: string, body: string | Buffer) =>
      client.send(new PutObjectCommand({ Bucket: s3.settings.bucket, Key: key, Body: body }));
    for (let f = 0; f < 3; f++) {
      const rows = Array.from({ length: 40 }, (_, i) => `${f * 40 + i + 1},customer ${f * 40 + i + 1},${(i * 1.25).toFixed(2)}`);
      await put(`data/orders/dt=2024-01-0${f + 1}/part-${f}.csv.gz`, gzipSync(`id,name,amount\n${rows.join('\n')}\n`));
    }
    await put('data/events/a.jsonl', '{"id":1,"kind":"click"}\n{"id":2,"kind":"view"}\n');
    client.destroy();
    return {
      config: {
        ...s3.settings,
        prefix: 'data/',
        streams: [
          { name: 'orders', pattern: 'orders/**/*.csv.gz', key_properties: ['id'] },
          { name: 'events', pattern: 'events/*.jsonl', key_properties: ['id'] },
        ],
      },
      teardown: () => s3.close(),
    };
  },
});
