// The conformance test config (`mage-int test`, tools/testkit/test/connectors.test.ts): every scenario gets
// its own s3rver on 127.0.0.1 (a random port); readTable reads the stream's complete JSON Lines objects, in the
// order they were stored, as any S3 reader would see them.
import { text } from 'node:stream/consumers';
import type { Readable } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { parseExactJson } from '@mage-int/core';
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
  skipFixtures: {
    'conflict-ignore': 'append-only: objects keep every record, no conflict rule applies',
    'conflict-update-only': 'append-only: objects keep every record, no conflict rule applies',
    'schema-evolution-add-column': 'append-only: the case re-sends key 1 and expects it replaced',
    'schema-evolution-widen': 'an object keeps each record as sent: there is no column type to widen earlier values to',
    identifiers: 'objects keep field names as sent: there are no column names to normalise',
    'binary-content-encoding': 'JSON Lines keep encoded strings as sent: base16 text is not re-encoded as bytes',
    'error-base16-malformed': 'JSON Lines keep encoded strings as sent: there is no bytes column to decode hex into',
    'interleaved-streams': 'append-only: the case re-sends keys and expects one row per key',
    'upsert-last-wins': 'append-only: objects keep every record, later ones do not replace earlier ones',
    'activate-version-hard-delete': 'append-only: ACTIVATE_VERSION removes nothing from objects',
    'activate-version-soft-delete': 'append-only: ACTIVATE_VERSION marks nothing in objects',
    'cdc-delete-hard': 'append-only: a delete is one more record, not a removed row',
    'cdc-delete-soft': 'append-only: a delete is one more record, the row it deletes stays as it was',
    'record-metadata': 'objects keep each record as sent: no _sdc_* columns are added',
    'nul-characters-reject': 'JSON holds U+0000 (as \\u0000), so there is no nul_characters policy to apply',
    'nul-characters-strip': 'JSON holds U+0000 (as \\u0000), so there is no nul_characters policy to apply',
  },
  async readTable(config, stream) {
    const client = new S3Client({ region: 'us-east-1', endpoint: config.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    try {
      const folder = `out/${stream.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\./, '_')}/`;
      const listed = await client.send(new ListObjectsV2Command({ Bucket: config.bucket, Prefix: folder }));
      const objects = (listed.Contents ?? []).sort((a, b) => (a.LastModified?.getTime() ?? 0) - (b.LastModified?.getTime() ?? 0) || ((a.Key ?? '') < (b.Key ?? '') ? -1 : 1));
      if (objects.length === 0) return undefined;
      const rows: Record<string, unknown>[] = [];
      for (const object of objects) {
        const body = (await client.send(new GetObjectCommand({ Bucket: config.bucket, Key: object.Key }))).Body as Readable;
        for (const line of (await text(body)).split('\n')) if (line !== '') rows.push(parseExactJson(line) as Record<string, unknown>);
      }
      return rows;
    } finally {
      client.destroy();
    }
  },
});
