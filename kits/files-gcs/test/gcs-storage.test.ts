import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GcsStorage } from '../src/index.js';
import { startGcs, type GcsStandIn } from '../src/testing.js';

let s3: GcsStandIn;
const dir = mkdtempSync(join(tmpdir(), 'mage-gcs-storage-'));
beforeAll(async () => {
  s3 = await startGcs();
});
afterAll(async () => {
  await s3.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('GcsStorage against the GCS stand-in', () => {
  it('stores files (single PUT and multipart) byte for byte, lists them under the prefix, stats and reads them', async () => {
    const storage = new GcsStorage({ ...s3.settings, prefix: 'root' });
    const small = join(dir, 'small');
    writeFileSync(small, 'hello\n');
    const big = join(dir, 'big');
    const bigText = 'x'.repeat(1024 * 1024 - 1) + '\n';
    writeFileSync(big, bigText.repeat(20));
    await storage.putFile('a/small.txt', small);
    await storage.putFile('a/b/big.txt', big);
    const listed = [];
    for await (const file of storage.list('a/')) listed.push([file.key, file.size]);
    expect(listed.sort()).toEqual([
      ['a/b/big.txt', 20 * 1024 * 1024],
      ['a/small.txt', 6],
    ]);
    expect(await text(await storage.read('a/small.txt'))).toBe('hello\n');
    expect((await text(await storage.read('a/b/big.txt'))).length).toBe(20 * 1024 * 1024);
    expect((await storage.stat('a/small.txt'))?.size).toBe(6);
    expect(await storage.stat('a/none')).toBeUndefined();
    await storage.close();
  });

  it('names the bucket and gives a hint when it does not exist', async () => {
    const storage = new GcsStorage({ ...s3.settings, bucket: 'no-such-bucket' });
    const listing = (async () => {
      for await (const _ of storage.list('')) void _;
    })();
    await expect(listing).rejects.toThrow(/bucket "no-such-bucket" failed: 404/);
    await storage.close();
  });
});
