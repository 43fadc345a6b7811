/** @mage-int/files-s3 — Amazon S3 and S3-compatible stores as a storage of the file layer. */
export { S3Storage, type S3Settings } from './s3-storage.js';
