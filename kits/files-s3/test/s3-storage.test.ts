import { afterAll, beforeAll, describe, it } from 'vitest';
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
});
