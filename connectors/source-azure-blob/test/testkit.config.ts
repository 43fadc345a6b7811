// The conformance test config (`mage-int test`, tools/testkit/test/connectors.test.ts): setup starts Azurite
// (with --disableTelemetry) on 127.0.0.1 at a free port and uploads two streams of blobs.
import { gzipSync } from 'node:zlib';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { defineTestConfig } from '@mage-int/testkit';
// By package name, not ../src: `mage-int test` runs this file with plain Node, which imports the built package.
import type { AzureBlobSourceConfig } from '@mage-int/source-azure-blob';
import { startAzurite } from '@mage-int/files-azure/testing';

export default defineTestConfig<AzureBlobSourceConfig>({
  kind: 'source',
  async setup() {
    const azure = await startAzurite();
    const { account_name, account_key, endpoint, container } = azure.settings;
    const blobs = new BlobServiceClient(endpoint, new StorageSharedKeyCredential(account_name, account_key)).getContainerClient(container);
    const put = (name: string, body: string | Buffer) => blobs.getBlockBlobClient(name).upload(body, Buffer.byteLength(body));
    for (let f = 0; f < 3; f++) {
      const rows = Array.from({ length: 40 }, (_, i) => `${f * 40 + i + 1},customer ${f * 40 + i + 1},${(i * 1.25).toFixed(2)}`);
      await put(`data/orders/dt=2024-01-0${f + 1}/part-${f}.csv.gz`, gzipSync(`id,name,amount\n${rows.join('\n')}\n`));
    }
    await put('data/events/a.jsonl', '{"id":1,"kind":"click"}\n{"id":2,"kind":"view"}\n');
    return {
      config: {
        ...azure.settings,
        prefix: 'data/',
        streams: [
          { name: 'orders', pattern: 'orders/**/*.csv.gz', key_properties: ['id'] },
          { name: 'events', pattern: 'events/*.jsonl', key_properties: ['id'] },
        ],
      },
      teardown: () => azure.close(),
    };
  },
});
