import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkStorage } from '@mage-int/files/testing';
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
    const storage = new GcsStorage({ ...stand.settings, prefix: 'deleting' });
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
