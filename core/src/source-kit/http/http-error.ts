import { ConnectorError, type MageErrorOptions } from '../../errors.js';

/** An HTTP answer the source cannot use: the status, the vendor's own message and its request id. */
export class HttpError extends ConnectorError {
  readonly status: number;
  readonly requestId?: string;
  readonly vendorMessage?: string;

  constructor(status: number, message: string, options: MageErrorOptions & { requestId?: string; vendorMessage?: string }) {
    super(`HTTP_${status}`, message, options);
    this.status = status;
    this.requestId = options.requestId;
    this.vendorMessage = options.vendorMessage;
  }
}

/** Headers vendors put their request id in (Stripe, HubSpot, Zendesk, generic). */
const REQUEST_ID_HEADERS = [
  'request-id',
  'x-request-id',
  'x-hubspot-correlation-id',
  'x-zendesk-request-id',
  'x-correlation-id',
  'x-amzn-requestid',
  'sforce-request-id',
];

export function requestIdOf(headers: Headers): string | undefined {
  for (const name of REQUEST_ID_HEADERS) {
    const value = headers.get(name);
    if (value) return value;
  }
  return undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * The human message in a vendor's error body: Stripe `{error: {message}}`, HubSpot `{message}`, Salesforce
 * `[{message, errorCode}]`, Zendesk `{error, description}`, OAuth `{error_description}`, JSON:API `{errors: [{detail}]}`;
 * else the start of the body text.
 */
export function vendorMessageOf(body: unknown, raw: string): string | undefined {
  const first = Array.isArray(body) ? body[0] : body;
  if (typeof first === 'object' && first !== null) {
    const b = first as Record<string, unknown>;
    const error = b['error'];
    const nested = typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : undefined;
    const errors = Array.isArray(b['errors']) ? (b['errors'][0] as Record<string, unknown> | undefined) : undefined;
    const found =
      text(nested?.['message']) ??
      text(b['message']) ??
      text(b['error_description']) ??
      text(b['description']) ??
      text(errors?.['detail']) ??
      text(errors?.['message']) ??
      text(errors?.['title']) ??
      text(b['detail']) ??
      text(error);
    if (found) {
      const code = text(b['errorCode']) ?? text(nested?.['code']) ?? (text(b['description']) ? text(error) : undefined);
      return code && !found.includes(code) ? `${found} (${code})` : found;
    }
  }
  const trimmed = raw.trim();
  return trimmed === '' ? undefined : trimmed.slice(0, 300);
}
