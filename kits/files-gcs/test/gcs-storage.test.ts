import { afterAll, beforeAll, describe, it } from 'vitest';
import { checkStorage, checkStorageDelete } from '@mage-int/files/testing';
import { GcsStorage } from '../src/index.js';
import { startGcs, type GcsStandIn } from '../src/testing.js';

let stand: GcsStandIn;
beforeAll(async () => {
  stand = await startGcs();
});
afterAll(() => stand.close());

describe('GcsStorage against the GCS stand-in', () => {
  it('stores files (one request and multipart) byte for byte, lists, stats and reads them; names the bucket that does not exist', async () => {
    await checkStorage(
      new GcsStorage({ ...stand.settings, prefix: 'root' }),
      new GcsStorage({ ...stand.settings, bucket: 'no-such-bucket' }),
      /bucket "no-such-bucket" failed: 404/,
    );
  });

  it('deletes objects under the prefix, a missing one being no error', async () => {
    await checkStorageDelete(new GcsStorage({ ...stand.settings, prefix: 'deleting' }));
  });
});
