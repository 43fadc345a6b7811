/** @mage-int/files-gcs — Google Cloud Storage as a storage of the file layer. */
export { GcsStorage, type GcsSettings } from './gcs-storage.js';
