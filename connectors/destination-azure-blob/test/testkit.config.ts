// The conformance test config (`mage-int test`, tools/testkit/test/connectors.test.ts): every scenario gets
// its own Azurite (--disableTelemetry) on 127.0.0.1; readTable reads the stream's committed JSON Lines blobs, in
// the order they were stored, as any reader of the container would see them.
import { text } from 'node:stream/consumers';
import type { Readable } from 'node:stream';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { APPEND_ONLY_FILE_SKIPS, jsonLinesRecords, streamPrefix } from '@mage-int/files/testing';
import { defineTestConfig } from '@mage-int/testkit';
// By package name, not ../src: `mage-int test` runs this file with plain Node, which imports the built package.
import type { AzureBlobDestinationConfig } from '@mage-int/destination-azure-blob';
import { startAzurite } from '@mage-int/files-azure/testing';

export default defineTestConfig<AzureBlobDestinationConfig>({
  kind: 'destination',
  async setup() {
    const azure = await startAzurite();
    // batch_size_rows below the suite's 50-record batches: STATEs are released by row-count commits mid-input.
    return { config: { ...azure.settings, prefix: 'out', format: 'jsonl', batch_size_rows: 40 }, teardown: () => azure.close() };
  },
  // Blobs are a log: every record is appended as sent (README, "Load semantics").
  appendOnly: true,
  skipFixtures: APPEND_ONLY_FILE_SKIPS,
  async readTable(config, stream) {
    const blobs = new BlobServiceClient(
      config.endpoint as string,
      new StorageSharedKeyCredential(config.account_name as string, config.account_key as string),
    ).getContainerClient(config.container);
    const listed = [];
    for await (const blob of blobs.listBlobsFlat({ prefix: streamPrefix('out', stream) })) listed.push(blob);
    if (listed.length === 0) return undefined;
    listed.sort((a, b) => a.properties.lastModified.getTime() - b.properties.lastModified.getTime() || (a.name < b.name ? -1 : 1));
    const texts = [];
    for (const blob of listed) texts.push(await text((await blobs.getBlobClient(blob.name).download()).readableStreamBody as Readable));
    return jsonLinesRecords(texts);
  },
});
