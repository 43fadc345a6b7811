import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { AZURE_PUT_BLOCK, checkKilledUpload, holdingProxy } from '@mage-int/files/testing';
import { startAzurite, type AzureStandIn } from '@mage-int/files-azure/testing';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const bin = join(packageDir, 'dist/bin.js');
let azure: AzureStandIn;

describe('destination-azure-blob killed during a block upload', () => {
  beforeAll(async () => {
    if (!existsSync(bin)) execFileSync('npm', ['run', 'build'], { cwd: packageDir, stdio: 'ignore' });
    azure = await startAzurite();
  }, 180_000);
  afterAll(() => azure.close());

  it('leaves no blob under the final name (uncommitted blocks are invisible) and releases no STATE; the rerun stores the whole file', async () => {
    const { account_name, account_key, container } = azure.settings;
    const blobs = new BlobServiceClient(azure.endpoint, new StorageSharedKeyCredential(account_name, account_key)).getContainerClient(
      container,
    );
    const origin = new URL(azure.endpoint).origin;
    await checkKilledUpload({
      bin,
      config: (endpoint) => ({ ...azure.settings, ...(endpoint ? { endpoint } : {}), prefix: 'out', format: 'jsonl' }),
      // The first Put Block is held, so the kill lands before Put Block List commits the blob.
      killDuringUpload: async (kill) => {
        const proxy = await holdingProxy(origin, AZURE_PUT_BLOCK, kill);
        return { endpoint: `${proxy.endpoint}/${account_name}`, stop: proxy.stop };
      },
      keys: async () => {
        const names: string[] = [];
        for await (const blob of blobs.listBlobsFlat({ prefix: 'out/' })) names.push(blob.name);
        return names;
      },
      read: async (key) => (await blobs.getBlobClient(key).downloadToBuffer()).toString('utf8'),
    });
  });
});
