import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { checkKilledUpload, GCS_RESUMABLE_CHUNK, holdingProxy } from '@mage-int/files/testing';
import { startGcs, type GcsStandIn } from '@mage-int/files-gcs/testing';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const bin = join(packageDir, 'dist/bin.js');
let gcs: GcsStandIn;

describe('destination-gcs killed during a resumable upload (JSON-API stand-in)', () => {
  beforeAll(async () => {
    if (!existsSync(bin)) execFileSync('npm', ['run', 'build'], { cwd: packageDir, stdio: 'ignore' });
    gcs = await startGcs();
  }, 180_000);
  afterAll(() => gcs.close());

  it('leaves no object under the final name and releases no STATE; the rerun stores the whole file', async () => {
    await checkKilledUpload({
      bin,
      env: { METADATA_SERVER_DETECTION: 'none' },
      config: (endpoint) => ({ ...gcs.settings, ...(endpoint ? { endpoint } : {}), prefix: 'out', format: 'jsonl' }),
      // The session is opened through the proxy and its first chunk held: the object exists only after the last chunk.
      killDuringUpload: (kill) => holdingProxy(gcs.endpoint, GCS_RESUMABLE_CHUNK, kill),
      keys: async () => gcs.objects().filter((name) => name.startsWith('out/')),
      read: async (key) => {
        const res = await fetch(`${gcs.endpoint}/storage/v1/b/${gcs.settings.bucket}/o/${encodeURIComponent(key)}?alt=media`);
        return res.text();
      },
    });
  });
});
