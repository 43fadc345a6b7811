import { readFileSync } from 'node:fs';
import { BigQuery, type BigQueryOptions } from '@google-cloud/bigquery';
import { ConfigError } from '@mage-int/core';
import { JWT } from 'google-auth-library';

/** Google's OAuth token endpoint: google-auth-library sends every service-account token request there. */
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const BIGQUERY_SCOPE = 'https://www.googleapis.com/auth/bigquery';

/** The parts of a service account key (the JSON file from the console) the client uses. */
export interface ServiceAccountKey {
  type?: string;
  project_id?: string;
  client_email: string;
  private_key: string;
  private_key_id?: string;
  /** Where the key's signed JWT is exchanged for an access token (RFC 7523); Google's endpoint in real keys. */
  token_uri?: string;
}

/** The settings every BigQuery connector names alike (destination and source): project, place, endpoint, credentials. */
export interface BigQuerySettings {
  /** Default: the service account key's `project_id` (or, without a key, Application Default Credentials' project). */
  project_id?: string;
  location?: string;
  api_endpoint?: string;
  credentials_json?: string;
  /** Mage's form: the key as an object. */
  credentials_info?: Record<string, unknown>;
  path_to_credentials_json_file?: string;
}

/** The service account key of the config: `credentials_json` (or Mage's `credentials_info`), else the file at `path_to_credentials_json_file`, else none (ADC). */
export function serviceAccountKey(config: BigQuerySettings): ServiceAccountKey | undefined {
  let text: string;
  let field: string;
  if (config.credentials_json !== undefined) {
    text = config.credentials_json;
    field = 'credentials_json';
  } else if (config.credentials_info !== undefined) {
    text = JSON.stringify(config.credentials_info);
    field = 'credentials_info';
  } else if (config.path_to_credentials_json_file !== undefined) {
    field = 'path_to_credentials_json_file';
    try {
      text = readFileSync(config.path_to_credentials_json_file, 'utf8');
    } catch (error) {
      throw new ConfigError(
        'BIGQUERY_CREDENTIALS_UNREADABLE',
        `cannot read ${config.path_to_credentials_json_file}: ${(error as Error).message}`,
        {
          field,
          hint: 'give the path of a service account key file (JSON), relative to the pipeline file',
        },
      );
    }
  } else {
    return undefined;
  }
  let key: unknown;
  try {
    key = JSON.parse(text);
  } catch {
    throw new ConfigError('BIGQUERY_CREDENTIALS_INVALID', 'is not JSON', {
      field,
      hint: 'use the service account key file as downloaded (JSON)',
    });
  }
  const { client_email: email, private_key: privateKey } = (key ?? {}) as Record<string, unknown>;
  if (typeof email !== 'string' || typeof privateKey !== 'string') {
    throw new ConfigError('BIGQUERY_CREDENTIALS_INVALID', 'is not a service account key: client_email or private_key is missing', {
      field,
      hint: 'create a key for the service account (IAM → Service accounts → Keys → Add key → JSON), or leave both credential settings unset for Application Default Credentials',
    });
  }
  return key as ServiceAccountKey;
}

/**
 * A JWT client for a service account key whose token requests go to the key's `token_uri` (google-auth-library
 * always posts to Google's endpoint; a key naming another — a private endpoint, a stand-in — is honoured here by
 * rewriting that one URL, nothing else).
 */
function serviceAccountClient(key: ServiceAccountKey): JWT {
  const client = new JWT({
    email: key.client_email,
    key: key.private_key,
    ...(key.private_key_id ? { keyId: key.private_key_id } : {}),
    scopes: [BIGQUERY_SCOPE],
  });
  const tokenUri = key.token_uri;
  if (tokenUri && tokenUri !== GOOGLE_TOKEN_URL) {
    client.transporter.interceptors.request.add({
      resolved: async (options) => {
        if (String(options.url) === GOOGLE_TOKEN_URL) options.url = new URL(tokenUri);
        return options;
      },
    });
  }
  return client;
}

/**
 * The project jobs run in (and are billed to): `project_id`, else the service account key's own `project_id`;
 * undefined without either (no key: Application Default Credentials name it — GOOGLE_CLOUD_PROJECT, gcloud's config).
 */
export function bigQueryProject(
  config: BigQuerySettings,
  key: ServiceAccountKey | undefined = serviceAccountKey(config),
): string | undefined {
  if (config.project_id !== undefined) return config.project_id;
  if (key === undefined) return undefined;
  if (typeof key.project_id === 'string' && key.project_id !== '') return key.project_id;
  throw new ConfigError('BIGQUERY_PROJECT_MISSING', 'is not set and the service account key names no project_id', {
    field: 'project_id',
    hint: 'set project_id to the project that runs the jobs and holds the dataset',
  });
}

/** The official client for the config: its project, location, endpoint and credentials; 429/5xx retried by the library. */
export function bigQueryClient(config: BigQuerySettings): BigQuery {
  const key = serviceAccountKey(config);
  const projectId = bigQueryProject(config, key);
  const options: BigQueryOptions = {
    ...(projectId ? { projectId } : {}),
    autoRetry: true,
    maxRetries: 5,
    ...(config.location ? { location: config.location } : {}),
    ...(config.api_endpoint ? { apiEndpoint: config.api_endpoint.replace(/\/+$/, '') } : {}),
    ...(key ? { authClient: serviceAccountClient(key) } : {}),
  };
  return new BigQuery(options);
}
