import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkStorage } from '@mage-int/files/testing';
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
    const storage = new AzureBlobStorage({ ...stand.settings, prefix: 'deleting' });
    const path = join(tmpdir(), `mage-delete-${process.pid}.txt`);
    writeFileSync(path, 'x');
    await storage.putFile('a/one.txt', path);
    await storage.putFile('a/two.txt', path);
    await storage.delete(['a/one.txt', 'a/missing.txt']);
    const left: string[] = [];
    for await (const info of storage.list('')) left.push(info.key);
    expect(left).toEqual(['a/two.txt']);
    await storage.delete(['a/two.txt']);
    expect(await storage.stat('a/two.txt')).toBeUndefined();
  });
});
