/** @mage-int/bigquery — what the BigQuery connectors share: the client setup, errors, GoogleSQL quoting. */
export { bigQueryClient, bigQueryProject, serviceAccountKey, type BigQuerySettings, type ServiceAccountKey } from './client.js';
export { bigQueryError, type ErrorProto } from './bigquery-error.js';
export { qualifiedTable, quoteIdentifier, quoteLiteral } from './google-sql.js';
