import { readFileSync } from 'node:fs';
import { BetaAnalyticsDataClient, type protos } from '@google-analytics/data';
import * as grpc from '@grpc/grpc-js';
import { ConfigError, ConnectorError, type Logger } from '@mage-int/core';
import type { ResolvedConfig } from './generated/config.js';

export type RunReportRequest = protos.google.analytics.data.v1beta.IRunReportRequest;
export type RunReportResponse = protos.google.analytics.data.v1beta.IRunReportResponse;

/** gRPC codes worth another try: quota ran out, the service is busy or a call timed out. */
const RETRYABLE = new Set<number>([
  grpc.status.RESOURCE_EXHAUSTED,
  grpc.status.UNAVAILABLE,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.INTERNAL,
]);

interface ServiceAccountKey {
  client_email: string;
  private_key: string;
}

/** The setting the credentials came from, named in auth errors. */
function credentialSetting(config: ResolvedConfig): string {
  return config.credentials_json ? 'credentials_json' : config.credentials_path ? 'credentials_path' : 'GOOGLE_APPLICATION_CREDENTIALS';
}

/** A service account key from credentials_json or credentials_path, checked before any call; never printed. */
function serviceAccountKey(config: ResolvedConfig): ServiceAccountKey | undefined {
  const field = credentialSetting(config);
  let text = config.credentials_json;
  if (!text && config.credentials_path) {
    try {
      text = readFileSync(config.credentials_path, 'utf8');
    } catch (error) {
      throw new ConfigError('GA_CREDENTIALS_UNREADABLE', `cannot read the key file: ${(error as Error).message}`, { field, cause: error });
    }
  }
  if (!text) return undefined;
  let key: unknown;
  try {
    key = JSON.parse(text);
  } catch {
    throw new ConfigError(
      'GA_CREDENTIALS_INVALID',
      'is not JSON: expected a service account key file (the JSON downloaded from Google Cloud → IAM → Service accounts → Keys)',
      { field },
    );
  }
  const { client_email: email, private_key: privateKey } = (key ?? {}) as Record<string, unknown>;
  if (typeof email !== 'string' || typeof privateKey !== 'string') {
    throw new ConfigError('GA_CREDENTIALS_INVALID', 'is not a service account key: client_email or private_key is missing', {
      field,
      hint: 'download a JSON key of the service account (type "service_account")',
    });
  }
  return { client_email: email, private_key: privateKey };
}

/** A gRPC error's code and text, when it is one. */
function grpcError(error: unknown): { code: number; details: string } | undefined {
  if (typeof error !== 'object' || error === null || typeof (error as { code?: unknown }).code !== 'number') return undefined;
  const { code, details, message } = error as { code: number; details?: string; message?: string };
  return { code, details: details || message || '' };
}

/**
 * The Data API client of one run: the official client, runReport with retries (backoff with jitter on quota and
 * transient errors), and errors that name the setting to fix.
 */
export class GaConnection {
  readonly property: string;
  private readonly client: BetaAnalyticsDataClient;
  private readonly credential: string;

  constructor(
    private readonly config: ResolvedConfig,
    private readonly logger: Logger,
    private readonly signal?: AbortSignal,
  ) {
    this.property = `properties/${config.property_id}`;
    this.credential = credentialSetting(config);
    const key = config.plaintext ? undefined : serviceAccountKey(config);
    this.client = new BetaAnalyticsDataClient({
      ...(key ? { credentials: key } : {}),
      ...(config.api_endpoint ? { apiEndpoint: config.api_endpoint } : {}),
      ...(config.port ? { port: config.port } : {}),
      // No TLS means no credentials either (gRPC sends none on an insecure channel): a local stand-in only.
      ...(config.plaintext ? { sslCreds: grpc.credentials.createInsecure() } : {}),
    });
  }

  /** runReport for `stream`, retried on quota and transient errors. */
  async runReport(stream: string, request: Omit<RunReportRequest, 'property'>): Promise<RunReportResponse> {
    for (let attempt = 0; ; attempt++) {
      try {
        const [response] = await this.client.runReport({ ...request, property: this.property });
        return response;
      } catch (error) {
        const failure = grpcError(error);
        if (!failure || !RETRYABLE.has(failure.code) || attempt >= this.config.max_retries || this.signal?.aborted)
          throw this.explain(stream, error);
        const wait = this.config.backoff_base_seconds * 1000 * 2 ** attempt * (0.5 + Math.random() / 2);
        this.logger.warn(
          `${grpc.status[failure.code]} from runReport (${failure.details}); retry ${attempt + 1}/${this.config.max_retries} in ${(wait / 1000).toFixed(1)}s`,
          { stream },
        );
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  close(): Promise<void> {
    return this.client.close();
  }

  /** A gRPC failure as an error naming the stream and the setting to fix. */
  private explain(stream: string, error: unknown): Error {
    const failure = grpcError(error);
    if (!failure) return error instanceof Error ? error : new Error(String(error));
    const name = grpc.status[failure.code] ?? String(failure.code);
    const message = `the Data API answered ${name}: ${failure.details}`;
    switch (failure.code) {
      case grpc.status.UNAUTHENTICATED:
        return new ConnectorError('GA_UNAUTHENTICATED', message, {
          stream,
          field: this.credential,
          hint: `check the service account key in ${this.credential}: it may be deleted or disabled`,
          cause: error,
        });
      case grpc.status.PERMISSION_DENIED:
        return new ConnectorError('GA_PERMISSION_DENIED', message, {
          stream,
          field: this.credential,
          hint: `add the service account (its client_email) to property ${this.config.property_id} with the Viewer role, and enable the Google Analytics Data API in its project`,
          cause: error,
        });
      case grpc.status.NOT_FOUND:
        return new ConnectorError('GA_PROPERTY_NOT_FOUND', message, {
          stream,
          field: 'property_id',
          hint: 'use the numeric property id (Admin → Property details), not a measurement id',
          cause: error,
        });
      case grpc.status.INVALID_ARGUMENT:
        return new ConnectorError('GA_INVALID_REPORT', message, {
          stream,
          field: `reports[${stream}]`,
          hint: 'check the dimension and metric names (and that they are compatible)',
          cause: error,
        });
      default:
        return new ConnectorError(`GA_${name}`, message, { stream, cause: error });
    }
  }
}
