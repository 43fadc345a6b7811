import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkStorage } from '@mage-int/files/testing';
import { S3Storage } from '../src/index.js';
import { startS3, type S3StandIn } from '../src/testing.js';

let stand: S3StandIn;
beforeAll(async () => {
  stand = await startS3();
});
afterAll(() => stand.close());

describe('S3Storage against s3rver', () => {
  it('stores files (one request and multipart) byte for byte, lists, stats and reads them; names the bucket that does not exist', async () => {
    await checkStorage(
      new S3Storage({ ...stand.settings, prefix: 'root' }),
      new S3Storage({ ...stand.settings, bucket: 'no-such-bucket' }),
      /bucket "no-such-bucket" failed: NoSuchBucket/,
    );
  });

  it('deletes objects under its prefix (missing keys are no error) and leaves the others', async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const folder = await mkdtemp(join(tmpdir(), 's3-delete-'));
    const storage = new S3Storage({ ...stand.settings, prefix: 'del' });
    const other = new S3Storage({ ...stand.settings, prefix: 'keep' });
    try {
      await writeFile(join(folder, 'f'), 'x');
      for (const key of ['a/1.csv', 'a/2.csv', 'b/3.csv']) await storage.putFile(key, join(folder, 'f'));
      await other.putFile('a/1.csv', join(folder, 'f'));
      await storage.delete(['a/1.csv', 'a/2.csv', 'a/missing.csv']);
      const left: string[] = [];
      for await (const file of storage.list('')) left.push(file.key);
      expect(left).toEqual(['b/3.csv']);
      expect(await other.stat('a/1.csv')).toBeDefined();
      await expect(new S3Storage({ ...stand.settings, bucket: 'no-such-bucket' }).delete(['x'])).rejects.toThrow(/NoSuchBucket/);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});
