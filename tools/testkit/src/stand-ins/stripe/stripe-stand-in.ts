// A stand-in for the Stripe API, written from Stripe's API reference (docs.stripe.com/api): list objects
// (`{object: 'list', data, has_more, url}`, newest first, `limit` 1–100 default 10, `starting_after`,
// `ending_before`, `created` as an exact value or a gt/gte/lt/lte range), the events API (`type` with `*`
// wildcards, `types[]`), error objects (`{error: {type, code, message}}`) with a `Request-Id` header on every
// answer, Bearer (or Basic) auth on the secret key, restricted keys answering 403, and `Stripe-Account`. Objects
// are Stripe's own published example objects (fixtures/stand-ins/stripe/objects.json, from Stripe's OpenAPI
// fixtures) with new ids and creation times. It is a stand-in for tests, not an emulator: only the read API.
import { readFileSync } from 'node:fs';
import { nestedQuery, StandInServer, VendorStandIn, type StandInRequest, type StandInResponse } from '../stand-in-server.js';

type StripeObject = Record<string, unknown>;

/** A list endpoint: its path under /v1, the `object` of its items, and the prefix of its events. */
interface Resource {
  path: string;
  object: string;
  events?: string;
  idPrefix: string;
  /** The field holding the creation time, which `created` filters and sorts on: `date` for invoice items. */
  createdField?: string;
}

/** The resources served, by path. */
export const STRIPE_RESOURCES: readonly Resource[] = [
  { path: 'customers', object: 'customer', events: 'customer', idPrefix: 'cus' },
  { path: 'charges', object: 'charge', events: 'charge', idPrefix: 'ch' },
  { path: 'invoices', object: 'invoice', events: 'invoice', idPrefix: 'in' },
  { path: 'invoiceitems', object: 'invoiceitem', events: 'invoiceitem', idPrefix: 'ii', createdField: 'date' },
  { path: 'subscriptions', object: 'subscription', events: 'customer.subscription', idPrefix: 'sub' },
  { path: 'plans', object: 'plan', events: 'plan', idPrefix: 'plan' },
  { path: 'prices', object: 'price', events: 'price', idPrefix: 'price' },
  { path: 'products', object: 'product', events: 'product', idPrefix: 'prod' },
  { path: 'payment_intents', object: 'payment_intent', events: 'payment_intent', idPrefix: 'pi' },
  { path: 'refunds', object: 'refund', events: 'refund', idPrefix: 're' },
  { path: 'balance_transactions', object: 'balance_transaction', idPrefix: 'txn' },
  { path: 'payouts', object: 'payout', events: 'payout', idPrefix: 'po' },
  { path: 'disputes', object: 'dispute', events: 'charge.dispute', idPrefix: 'dp' },
  { path: 'coupons', object: 'coupon', events: 'coupon', idPrefix: 'co' },
];

const FIXTURES = new URL('../../../fixtures/stand-ins/stripe/objects.json', import.meta.url);

/** Stripe's published example object of each type (`customer`, `charge`, …, `subscription_item`, `event`). */
export function stripeExampleObjects(): Record<string, StripeObject> {
  return JSON.parse(readFileSync(FIXTURES, 'utf8')) as Record<string, StripeObject>;
}

export interface StripeStandInOptions {
  /** The secret key every request must carry; default `sk_test_standin`. */
  apiKey?: string;
  /** Restricted keys and the resource paths each may read (`{rk_test_x: ['customers']}`); others answer 403. */
  restrictedKeys?: Record<string, readonly string[]>;
  /** Objects made per resource (default 3); pairs share a `created` second, as real data does. */
  counts?: Partial<Record<string, number>>;
  /** `created` of the newest seeded object, in epoch seconds; default an hour ago. */
  newest?: number;
}

/** The running stand-in: its URL and key, the objects it serves, and ways to change them between runs. */
export class StripeStandIn extends VendorStandIn {
  /** Live objects by resource path (deleted ones are gone, as at Stripe). */
  readonly objects = new Map<string, StripeObject[]>();
  /** Every event, oldest first. */
  readonly events: StripeObject[] = [];
  readonly apiKey: string;
  private sequence = 0;
  private clock: number;
  private readonly examples = stripeExampleObjects();

  private constructor(private readonly options: StripeStandInOptions) {
    super();
    this.apiKey = options.apiKey ?? 'sk_test_standin';
    this.clock = options.newest ?? Math.floor(Date.now() / 1000) - 3600;
  }

  static async start(options: StripeStandInOptions = {}): Promise<StripeStandIn> {
    const standIn = new StripeStandIn(options);
    standIn.seed();
    standIn.server = await StandInServer.start((request) => standIn.answer(request), {
      headers: (n) => ({ 'request-id': `req_standin${String(n).padStart(6, '0')}` }),
    });
    return standIn;
  }

  /** A 429 as Stripe sends it (`rate_limit` code, `Retry-After`). */
  rateLimitNext(path: string, retryAfterSeconds = 1, times = 1): void {
    this.fail({
      path,
      times,
      response: {
        status: 429,
        headers: { 'retry-after': String(retryAfterSeconds) },
        body: stripeError(
          'invalid_request_error',
          'Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.',
          'rate_limit',
        ),
      },
    });
  }

  /** A 500 as Stripe sends it (`api_error`). */
  serverErrorNext(path: string, times = 1): void {
    this.fail({
      path,
      times,
      response: { status: 500, body: stripeError('api_error', "Sorry, something went wrong. We've already been notified of the problem.") },
    });
  }

  /** Creates an object now (with its `<type>.created` event). */
  create(path: string, fields: StripeObject = {}): StripeObject {
    const resource = resourceAt(path);
    const created = this.tick();
    const object = this.make(resource, created, fields);
    this.list(path).unshift(object);
    this.event(resource, 'created', object, created);
    return object;
  }

  /** Changes an object now (with its `<type>.updated` event carrying the previous values). */
  update(path: string, id: string, fields: StripeObject): StripeObject {
    const resource = resourceAt(path);
    const object = this.find(path, id);
    const previous = Object.fromEntries(Object.keys(fields).map((k) => [k, object[k] ?? null]));
    Object.assign(object, fields);
    this.event(resource, 'updated', structuredClone(object), this.tick(), previous);
    return object;
  }

  /** Deletes an object now (with its `<type>.deleted` event); it disappears from its list. */
  remove(path: string, id: string): void {
    const resource = resourceAt(path);
    const object = this.find(path, id);
    const list = this.list(path);
    list.splice(list.indexOf(object), 1);
    this.event(resource, 'deleted', { ...structuredClone(object), deleted: true }, this.tick());
  }

  /** Moves the clock on (objects and events made next are that much newer). */
  advance(seconds: number): void {
    this.clock += seconds;
  }

  /** Now, in epoch seconds (several changes may share a second, as at Stripe), never before the last change. */
  private tick(): number {
    this.clock = Math.max(this.clock, Math.floor(Date.now() / 1000));
    return this.clock;
  }

  private list(path: string): StripeObject[] {
    let list = this.objects.get(path);
    if (!list) this.objects.set(path, (list = []));
    return list;
  }

  private find(path: string, id: string): StripeObject {
    const found = this.list(path).find((o) => o['id'] === id);
    if (!found) throw new Error(`the stand-in has no ${path} object ${id}`);
    return found;
  }

  private seed(): void {
    const newest = this.clock;
    for (const resource of STRIPE_RESOURCES) {
      const count = this.options.counts?.[resource.path] ?? 3;
      // Newest first, as lists come; two objects per second.
      for (let i = 0; i < count; i++) {
        const created = newest - 86_400 - Math.floor((count - 1 - i) / 2) * 60;
        const object = this.make(resource, created);
        this.list(resource.path).unshift(object);
        this.event(resource, 'created', object, created);
      }
    }
    this.events.sort((a, b) => Number(a['created']) - Number(b['created']));
  }

  private make(resource: Resource, created: number, fields: StripeObject = {}): StripeObject {
    const example = this.examples[resource.object];
    if (!example) throw new Error(`no example object for ${resource.object}`);
    const id = `${resource.idPrefix}_standin${String(++this.sequence).padStart(5, '0')}`;
    const object: StripeObject = {
      ...structuredClone(example),
      id,
      [resource.createdField ?? 'created']: created,
      livemode: false,
      ...fields,
    };
    if (resource.object === 'subscription') {
      const item = {
        ...structuredClone(this.examples['subscription_item'] as StripeObject),
        id: `si_standin${String(this.sequence).padStart(5, '0')}`,
        subscription: id,
        created,
      };
      object['items'] = { object: 'list', data: [item], has_more: false, total_count: 1, url: `/v1/subscription_items?subscription=${id}` };
    }
    return object;
  }

  private event(resource: Resource, action: string, object: StripeObject, created: number, previous?: StripeObject): void {
    if (!resource.events) return;
    this.events.push({
      ...structuredClone(this.examples['event'] as StripeObject),
      id: `evt_standin${String(++this.sequence).padStart(5, '0')}`,
      created,
      type: `${resource.events}.${action}`,
      data: { object: structuredClone(object), ...(previous ? { previous_attributes: previous } : {}) },
    });
  }

  private answer(request: StandInRequest): StandInResponse {
    const key = bearerKey(request);
    if (!key)
      return {
        status: 401,
        body: stripeError(
          'invalid_request_error',
          "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
        ),
      };
    const restricted = this.options.restrictedKeys?.[key];
    if (key !== this.apiKey && !restricted)
      return { status: 401, body: stripeError('invalid_request_error', `Invalid API Key provided: ${mask(key)}`, 'api_key_invalid') };
    if (request.method !== 'GET')
      return { status: 405, body: stripeError('invalid_request_error', 'The stand-in serves the read API only (GET).') };
    const match = /^\/v1\/([a-z_]+)$/.exec(request.url.pathname);
    const path = match?.[1];
    const account = request.headers['stripe-account'];
    if (account !== undefined && !/^acct_/.test(String(account))) {
      return {
        status: 403,
        body: stripeError(
          'invalid_request_error',
          `The provided key '${mask(key)}' does not have access to account '${String(account)}' (or that account does not exist). Application access may have been revoked.`,
          'account_invalid',
        ),
      };
    }
    if (restricted && path && !restricted.includes(path)) {
      const permission = `rak_${STRIPE_RESOURCES.find((r) => r.path === path)?.object ?? path.replace(/s$/, '')}_read`;
      return {
        status: 403,
        body: stripeError(
          'invalid_request_error',
          `The provided key '${mask(key)}' does not have the required permissions for this endpoint on account 'acct_standin'. Having the '${permission}' permission would allow this request to continue.`,
          'secret_key_required',
        ),
      };
    }
    const query = nestedQuery(request.url.searchParams);
    if (path === 'events') return this.page(request.url.pathname, this.matchingEvents(query), query, 'event');
    if (path === 'subscription_items') {
      const subscription = this.list('subscriptions').find((s) => s['id'] === query['subscription']);
      if (!query['subscription'])
        return {
          status: 400,
          body: stripeError('invalid_request_error', 'Missing required param: subscription.', 'parameter_missing', 'subscription'),
        };
      const items = ((subscription?.['items'] as { data?: StripeObject[] } | undefined)?.data ?? []).slice();
      return this.page(request.url.pathname, items, query, 'subscription_item');
    }
    const resource = STRIPE_RESOURCES.find((r) => r.path === path);
    if (!resource || !path)
      return {
        status: 404,
        body: stripeError(
          'invalid_request_error',
          `Unrecognized request URL (GET: ${request.url.pathname}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
        ),
      };
    let objects = this.list(path);
    // Stripe lists only non-canceled subscriptions unless status=all (or canceled) is asked for.
    if (path === 'subscriptions' && query['status'] !== 'all') objects = objects.filter((o) => o['status'] !== 'canceled');
    return this.page(request.url.pathname, objects, query, resource.object, resource.createdField);
  }

  /** Events newest first, by `type` (with `*` wildcards) or `types[]`. */
  private matchingEvents(query: Record<string, unknown>): StripeObject[] {
    const type = typeof query['type'] === 'string' ? wildcard(query['type']) : undefined;
    const types = Array.isArray(query['types']) ? (query['types'] as string[]) : undefined;
    return this.events.filter((e) => (!type || type.test(String(e['type']))) && (!types || types.includes(String(e['type'])))).reverse();
  }

  /** One page of a list, as Stripe pages it (newest first). */
  private page(
    url: string,
    all: StripeObject[],
    query: Record<string, unknown>,
    object: string,
    createdField = 'created',
  ): StandInResponse {
    const limit = query['limit'] === undefined ? 10 : Number(query['limit']);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      return {
        status: 400,
        body: stripeError(
          'invalid_request_error',
          'Invalid integer: limit must be between 1 and 100.',
          'parameter_invalid_integer',
          'limit',
        ),
      };
    }
    const created = query['created'];
    const at = (o: StripeObject) => Number(o[createdField]);
    const sorted = all
      .filter((o) => createdMatches(at(o), created))
      .sort((a, b) => at(b) - at(a) || String(b['id']).localeCompare(String(a['id'])));
    const after = query['starting_after'];
    const before = query['ending_before'];
    let start = 0;
    let end = sorted.length;
    if (typeof after === 'string' || typeof before === 'string') {
      const id = (after ?? before) as string;
      const index = sorted.findIndex((o) => o['id'] === id);
      if (index < 0)
        return {
          status: 400,
          body: stripeError(
            'invalid_request_error',
            `No such ${object}: '${id}'`,
            'resource_missing',
            typeof after === 'string' ? 'starting_after' : 'ending_before',
          ),
        };
      if (typeof after === 'string') start = index + 1;
      else {
        end = index;
        start = Math.max(0, index - limit);
      }
    }
    const data = sorted.slice(start, Math.min(end, start + limit));
    const hasMore = typeof before === 'string' ? start > 0 : start + limit < end;
    return { status: 200, body: { object: 'list', data, has_more: hasMore, url } };
  }
}

/** Starts a Stripe stand-in on 127.0.0.1 (a random port). */
export function startStripeStandIn(options: StripeStandInOptions = {}): Promise<StripeStandIn> {
  return StripeStandIn.start(options);
}

/** Stripe's error object. */
export function stripeError(type: string, message: string, code?: string, param?: string): { error: Record<string, string> } {
  return { error: { type, message, ...(code ? { code } : {}), ...(param ? { param } : {}) } };
}

function resourceAt(path: string): Resource {
  const resource = STRIPE_RESOURCES.find((r) => r.path === path);
  if (!resource) throw new Error(`the stand-in has no resource ${path}`);
  return resource;
}

/** The key of `Authorization: Bearer <key>` or `Basic base64(<key>:)`. */
function bearerKey(request: StandInRequest): string | undefined {
  const header = request.headers.authorization ?? '';
  const bearer = /^Bearer\s+(\S+)$/i.exec(header);
  if (bearer) return bearer[1];
  const basic = /^Basic\s+(\S+)$/i.exec(header);
  if (basic)
    return (
      Buffer.from(basic[1] as string, 'base64')
        .toString('utf8')
        .split(':')[0] || undefined
    );
  return undefined;
}

/** Stripe never echoes a key whole: `sk_test_****************abcd`. */
function mask(key: string): string {
  const prefix = /^[a-z]+_(test_|live_)?/.exec(key)?.[0] ?? '';
  return `${prefix}${'*'.repeat(Math.max(4, key.length - prefix.length - 4))}${key.slice(-4)}`;
}

function wildcard(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
}

function createdMatches(created: number, filter: unknown): boolean {
  if (filter === undefined) return true;
  if (typeof filter === 'string') return created === Number(filter);
  const range = filter as Record<string, string>;
  if (range['gt'] !== undefined && !(created > Number(range['gt']))) return false;
  if (range['gte'] !== undefined && !(created >= Number(range['gte']))) return false;
  if (range['lt'] !== undefined && !(created < Number(range['lt']))) return false;
  if (range['lte'] !== undefined && !(created <= Number(range['lte']))) return false;
  return true;
}
