import { afterAll, beforeAll, describe, it } from 'vitest';
import { checkStorage, checkStorageDelete } from '@mage-int/files/testing';
import { AzureBlobStorage } from '../src/index.js';
import { startAzurite, type AzureStandIn } from '../src/testing.js';

let stand: AzureStandIn;
beforeAll(async () => {
  stand = await startAzurite();
});
afterAll(() => stand.close());

describe('AzureBlobStorage against Azurite', () => {
  it('stores files (one request and multipart) byte for byte, lists, stats and reads them; names the container that does not exist', async () => {
    await checkStorage(
      new AzureBlobStorage({ ...stand.settings, prefix: 'root' }),
      new AzureBlobStorage({ ...stand.settings, container: 'no-such-container' }),
      /container "no-such-container" failed: ContainerNotFound/,
    );
  });

  it('deletes objects under the prefix, a missing one being no error', async () => {
    await checkStorageDelete(new AzureBlobStorage({ ...stand.settings, prefix: 'deleting' }));
  });
});
