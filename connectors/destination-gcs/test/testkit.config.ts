// The conformance test config (`mage-int test`, tools/testkit/test/connectors.test.ts): every scenario gets
// its own GCS stand-in on 127.0.0.1; readTable reads the stream's complete JSON Lines objects, in the order
// they were stored, as any reader of the bucket would see them.
import { Storage } from '@google-cloud/storage';
import { APPEND_ONLY_FILE_SKIPS, jsonLinesRecords, streamPrefix } from '@mage-int/files/testing';
import { defineTestConfig } from '@mage-int/testkit';
// By package name, not ../src: `mage-int test` runs this file with plain Node, which imports the built package.
import type { GcsDestinationConfig } from '@mage-int/destination-gcs';
import { startGcs } from '@mage-int/files-gcs/testing';

export default defineTestConfig<GcsDestinationConfig>({
  kind: 'destination',
  async setup() {
    const gcs = await startGcs();
    // batch_size_rows below the suite's 50-record batches: STATEs are released by row-count commits mid-input.
    return { config: { ...gcs.settings, prefix: 'out', format: 'jsonl', batch_size_rows: 40 }, teardown: () => gcs.close() };
  },
  // Blobs are a log: every record is appended as sent (README, "Load semantics").
  appendOnly: true,
  skipFixtures: APPEND_ONLY_FILE_SKIPS,
  async readTable(config, stream) {
    const bucket = new Storage({ apiEndpoint: config.endpoint as string, projectId: 'test-project' }).bucket(config.bucket);
    const [files] = await bucket.getFiles({ prefix: streamPrefix('out', stream) });
    if (files.length === 0) return undefined;
    files.sort((a, b) => Number(a.metadata.generation) - Number(b.metadata.generation));
    return jsonLinesRecords(await Promise.all(files.map(async (file) => (await file.download())[0].toString('utf8'))));
  },
});
