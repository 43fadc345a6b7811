/** @mage-int/redshift — what mage-int's Redshift source and destination share. */
export { connectRedshift, type RedshiftConnectionSettings } from './connection.js';
export { redshiftError } from './redshift-error.js';
export {
  quoteIdentifier,
  quoteLiteral,
  authorizationClause,
  maskedAuthorizationClause,
  s3Authorization,
  s3StorageSettings,
  type RedshiftS3Config,
  type S3Authorization,
} from './quoting.js';
