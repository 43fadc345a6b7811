import { ConnectorError } from '@mage-int/core';

/** An entry of an error answer's `errors` (and of a job's `status.errors`): the reason names the kind of failure. */
export interface ErrorProto {
  reason?: string;
  message?: string;
  location?: string;
}

/** An error of the API or of a job, with the reason BigQuery gave and what the user can do. */
export function bigQueryError(error: unknown, what: string): ConnectorError {
  const e = error as { code?: number; message?: string; errors?: ErrorProto[]; response?: { statusCode?: number } };
  const reason = e.errors?.[0]?.reason;
  const hint =
    reason === 'accessDenied' || e.code === 403
      ? 'grant the service account roles/bigquery.dataEditor on the dataset (or project) and roles/bigquery.jobUser on the project'
      : e.code === 401
        ? 'the credentials were refused: check the service account key (or Application Default Credentials)'
        : reason === 'notFound' || e.code === 404
          ? 'check project_id, dataset and location'
          : undefined;
  return new ConnectorError('BIGQUERY_ERROR', `${what}: ${e.message ?? String(error)}${reason ? ` (${reason})` : ''}`, {
    cause: error,
    ...(hint ? { hint } : {}),
  });
}
