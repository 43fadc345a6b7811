import { ConnectorError } from '@mage-int/core';

/** What the user can do about a Redshift error, by its message. */
function hintFor(message: string): string | undefined {
  if (/sys_load_error_detail|stl_load_errors/i.test(message))
    return 'query SYS_LOAD_ERROR_DETAIL (or STL_LOAD_ERRORS) for the failing row and column';
  if (/not authorized to assume IAM Role|Access Denied|AccessDenied|does not exist in our records/i.test(message))
    return "check the IAM role (associated with the cluster, trusted by redshift.amazonaws.com, allowed the S3 actions on the bucket) or the access keys; see the connector's README: IAM";
  if (/permission denied/i.test(message))
    return "grant the user what the connector's README lists (USAGE/CREATE on the schema, SELECT on tables, TEMP on the database)";
  return undefined;
}

/** A Redshift (or node-postgres) error as a ConnectorError: what failed, the server's message and SQLSTATE, a hint. */
export function redshiftError(error: unknown, what: string): ConnectorError {
  const e = error as { code?: string; message?: string };
  const message = e.message ?? String(error);
  const hint = hintFor(message);
  return new ConnectorError('REDSHIFT_ERROR', `${what}: ${message}${e.code ? ` (${e.code})` : ''}`, {
    cause: error,
    ...(hint ? { hint } : {}),
  });
}
