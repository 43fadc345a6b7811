/** @mage-int/files-azure — Azure Blob Storage as a storage of the file layer. */
export { AzureBlobStorage, type AzureSettings } from './azure-storage.js';
