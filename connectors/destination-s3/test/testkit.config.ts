// The conformance test config (`mage-int test`, tools/testkit/test/connectors.test.ts): every scenario gets
// its own s3rver on 127.0.0.1 (a random port); readTable reads the stream's complete JSON Lines objects, in the
// order they were stored, as any S3 reader would see them.
import { text } from 'node:stream/consumers';
import type { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { APPEND_ONLY_FILE_SKIPS, jsonLinesRecords, streamPrefix } from '@mage-int/files/testing';
import { defineTestConfig } from '@mage-int/testkit';
// By package name, not ../src: `mage-int test` runs this file with plain Node, which imports the built package.
import type { S3DestinationConfig } from '@mage-int/destination-s3';
import { startS3 } from '@mage-int/files-s3/testing';

export default defineTestConfig<S3DestinationConfig>({
  kind: 'destination',
  async setup() {
    const s3 = await startS3();
    // batch_size_rows below the suite's 50-record batches: STATEs are released by row-count commits mid-input.
    return { config: { ...s3.settings, prefix: 'out', format: 'jsonl', batch_size_rows: 40 }, teardown: () => s3.close() };
  },
  // Objects are a log: every record is appended as sent (README, "Load semantics").
  appendOnly: true,
  skipFixtures: APPEND_ONLY_FILE_SKIPS,
  async readTable(config, stream) {
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: config.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    try {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: config.bucket, Prefix: streamPrefix('out', stream) }));
      const objects = (listed.Contents ?? []).sort(
        (a, b) => (a.LastModified?.getTime() ?? 0) - (b.LastModified?.getTime() ?? 0) || ((a.Key ?? '') < (b.Key ?? '') ? -1 : 1),
      );
      if (objects.length === 0) return undefined;
      const texts = [];
      for (const object of objects)
        texts.push(await text((await client.send(new GetObjectCommand({ Bucket: config.bucket, Key: object.Key }))).Body as Readable));
      return jsonLinesRecords(texts);
    } finally {
      client.destroy();
    }
  },
});
