import type { RecordData } from '../../protocol/messages.js';
import type { HttpResponse, QueryValue } from './http-client.js';
import { valueAt, type ValuePath } from './value-at.js';

/** One page's request: a path with query and body, or a next-page URL that already holds its query. */
export interface PageRequest {
  path?: string;
  url?: string;
  query: Record<string, QueryValue>;
  body?: Record<string, unknown>;
  /** Headers of this page's request (a cursor sent in a header). */
  headers?: Record<string, string>;
}

/**
 * How a stream walks its pages: small objects holding no state of their own (what they need is in the request
 * and the response), so one paginator serves every read and partition.
 */
export interface Paginator {
  /** Adds the first page's parameters (a page size, the first page number). */
  first?(request: PageRequest): PageRequest;
  /** The next page's request, or undefined after the last page. */
  next(response: HttpResponse, records: readonly RecordData[], request: PageRequest): PageRequest | undefined;
  /**
   * Every further page's request, when the first answer tells how many there are (a total): lets a stream request
   * them at once. Undefined when unknown.
   */
  remaining?(response: HttpResponse, records: readonly RecordData[], request: PageRequest): PageRequest[] | undefined;
}

/** Every record in one answer. */
export function singlePage(): Paginator {
  return { next: () => undefined };
}

/**
 * The next page's URL sits in the body (`next`, `links.next`, Salesforce `nextRecordsUrl`, Zendesk `after_url`);
 * relative URLs resolve against the response's. `hasMore` stops early where the API always sends a URL (Zendesk's
 * `end_of_stream`: `hasMore: (body) => !body.end_of_stream`).
 */
export function nextUrlPaginator(options: { path?: ValuePath; hasMore?: ValuePath } = {}): Paginator {
  const path = options.path ?? 'next';
  return {
    next(response) {
      if (options.hasMore !== undefined && !valueAt(response.body, options.hasMore)) return undefined;
      const next = valueAt(response.body, path);
      if (typeof next !== 'string' || next === '') return undefined;
      return { url: new URL(next, response.url).toString(), query: {} };
    },
  };
}

/** The URL of an RFC 8288 `Link` header entry with the given relation. */
export function linkHeaderUrl(header: string | null, rel = 'next'): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (!match) continue;
    const rels = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(match[2] ?? '');
    const names = (rels?.[1] ?? rels?.[2] ?? '').toLowerCase().split(/\s+/);
    if (names.includes(rel)) return match[1];
  }
  return undefined;
}

/** Follows the RFC 8288 `Link: <…>; rel="next"` header (GitHub, Shopify, Zendesk). */
export function linkHeaderPaginator(options: { rel?: string } = {}): Paginator {
  return {
    next(response) {
      const next = linkHeaderUrl(response.headers.get('link'), options.rel ?? 'next');
      return next ? { url: new URL(next, response.url).toString(), query: {} } : undefined;
    },
  };
}

export interface CursorPaginatorOptions {
  /**
   * Where the next cursor is: a body path (HubSpot `paging.next.after`, Zendesk `after_cursor`), a field of the
   * page's last record (Stripe: `{lastRecord: 'id'}`), or a function of the response and the records.
   */
  cursor: string | { lastRecord: string } | ((response: HttpResponse, records: readonly RecordData[]) => unknown);
  /** The parameter the cursor is sent in (`after`, `starting_after`, `cursor`); a header name for `in: 'header'`. */
  param: string;
  /**
   * Sent in the query (default), the JSON body (a search POST), a request header, or as the next request's path
   * (`path`: the cursor is a path or URL relative to the base URL, and `param` is unused).
   */
  in?: 'query' | 'body' | 'header' | 'path';
  /** Whether more pages follow (Stripe `has_more`; a function may negate Zendesk's `end_of_stream`); default: a cursor was given. */
  hasMore?: ValuePath;
  /** Page size parameter and value added to the first page (and kept on the next ones). */
  limit?: { param: string; value: number };
}

/** A cursor from each answer goes into the next request (Stripe, HubSpot, Zendesk cursor export). */
export function cursorPaginator(options: CursorPaginatorOptions): Paginator {
  const place = (request: PageRequest, name: string, value: unknown): PageRequest => {
    if (options.in === 'body') return { ...request, body: { ...request.body, [name]: value } };
    if (options.in === 'header') return { ...request, headers: { ...request.headers, [name]: String(value) } };
    return { ...request, query: { ...request.query, [name]: value as QueryValue } };
  };
  return {
    first: (request) => {
      if (!options.limit) return request;
      // A page size goes in the body of a body-cursor POST, else in the query.
      if (options.in === 'body') return place(request, options.limit.param, options.limit.value);
      return { ...request, query: { ...request.query, [options.limit.param]: options.limit.value } };
    },
    next(response, records, request) {
      if (options.hasMore !== undefined && !valueAt(response.body, options.hasMore)) return undefined;
      const from = options.cursor;
      const cursor =
        typeof from === 'function'
          ? from(response, records)
          : typeof from === 'string'
            ? valueAt(response.body, from)
            : records[records.length - 1]?.[from.lastRecord];
      if (cursor === undefined || cursor === null || cursor === '') return undefined;
      if (options.in === 'path') {
        const { url: _url, path: _path, ...rest } = request;
        return /^https?:\/\//.test(String(cursor)) ? { ...rest, url: String(cursor), query: {} } : { ...rest, path: String(cursor) };
      }
      return place(request, options.param, typeof cursor === 'number' ? cursor : String(cursor));
    },
  };
}

export interface OffsetPaginatorOptions {
  limit: number;
  offsetParam?: string;
  limitParam?: string;
  /** Body path of the total record count; without it the last page is a short one. */
  totalPath?: ValuePath;
  /** Stop before this offset even if the API has more (APIs that refuse deep offsets, or a sample). */
  maximumOffset?: number;
}

/** `?offset=…&limit=…`: the offset grows by the records received; stops at a short page or the total. */
export function offsetPaginator(options: OffsetPaginatorOptions): Paginator {
  const offsetParam = options.offsetParam ?? 'offset';
  const limitParam = options.limitParam ?? 'limit';
  return {
    first: (request) => ({ ...request, query: { ...request.query, [offsetParam]: 0, [limitParam]: options.limit } }),
    next(response, records, request) {
      const offset = Number(request.query[offsetParam] ?? 0) + records.length;
      const total = options.totalPath === undefined ? undefined : Number(valueAt(response.body, options.totalPath));
      if (records.length === 0 || (total !== undefined && Number.isFinite(total) ? offset >= total : records.length < options.limit))
        return undefined;
      if (options.maximumOffset !== undefined && offset >= options.maximumOffset) return undefined;
      return { ...request, query: { ...request.query, [offsetParam]: offset } };
    },
    remaining(response, records, request) {
      const total = options.totalPath === undefined ? Number.NaN : Number(valueAt(response.body, options.totalPath));
      if (!Number.isFinite(total) || records.length === 0) return undefined;
      const end = Math.min(total, options.maximumOffset ?? Number.POSITIVE_INFINITY);
      const out: PageRequest[] = [];
      for (let offset = Number(request.query[offsetParam] ?? 0) + records.length; offset < end; offset += options.limit)
        out.push({ ...request, query: { ...request.query, [offsetParam]: offset } });
      return out;
    },
  };
}

export interface PageNumberPaginatorOptions {
  pageParam?: string;
  /** The first page's number; default 1. */
  basePage?: number;
  pageSize?: { param: string; value: number };
  /** Body path of the page count; without it an empty (or short, with pageSize) page ends. */
  totalPagesPath?: ValuePath;
  /** The last page number read, even if the API has more. */
  maximumPage?: number;
}

/** `?page=1,2,3…`: stops at an empty page, a short page, or the page count. */
export function pageNumberPaginator(options: PageNumberPaginatorOptions = {}): Paginator {
  const pageParam = options.pageParam ?? 'page';
  const base = options.basePage ?? 1;
  return {
    first: (request) => ({
      ...request,
      query: { ...request.query, [pageParam]: base, ...(options.pageSize ? { [options.pageSize.param]: options.pageSize.value } : {}) },
    }),
    next(response, records, request) {
      const page = Number(request.query[pageParam] ?? base);
      const pages = options.totalPagesPath === undefined ? undefined : Number(valueAt(response.body, options.totalPagesPath));
      if (records.length === 0) return undefined;
      if (pages !== undefined && Number.isFinite(pages) && page - base + 1 >= pages) return undefined;
      if (options.pageSize && records.length < options.pageSize.value) return undefined;
      if (options.maximumPage !== undefined && page + 1 > options.maximumPage) return undefined;
      return { ...request, query: { ...request.query, [pageParam]: page + 1 } };
    },
    remaining(response, records, request) {
      const pages = options.totalPagesPath === undefined ? Number.NaN : Number(valueAt(response.body, options.totalPagesPath));
      if (!Number.isFinite(pages) || records.length === 0) return undefined;
      const last = Math.min(base + pages - 1, options.maximumPage ?? Number.POSITIVE_INFINITY);
      const out: PageRequest[] = [];
      for (let page = Number(request.query[pageParam] ?? base) + 1; page <= last; page++)
        out.push({ ...request, query: { ...request.query, [pageParam]: page } });
      return out;
    },
  };
}

/** A cursor in a response header (`X-Next-Cursor`) sent back as a query parameter; stops when the header is absent. */
export function headerCursorPaginator(options: { header?: string; param?: string } = {}): Paginator {
  const header = options.header ?? 'next';
  return cursorPaginator({ cursor: (response) => response.headers.get(header) ?? undefined, param: options.param ?? 'cursor' });
}

/**
 * Ends pagination when `stop` says so for an answer (Zendesk `end_of_stream`, an empty `data`), whatever the
 * wrapped paginator would do next.
 */
export function stopWhen(paginator: Paginator, stop: (response: HttpResponse, records: readonly RecordData[]) => boolean): Paginator {
  return {
    ...(paginator.first ? { first: (request: PageRequest) => (paginator.first as NonNullable<Paginator['first']>)(request) } : {}),
    next: (response, records, request) => (stop(response, records) ? undefined : paginator.next(response, records, request)),
  };
}

/** Body fields that hold the next page's URL, and cursor fields with the parameter they go back in. */
const NEXT_URL_PATHS = [
  'next',
  'next_url',
  'nextUrl',
  'next_page_url',
  'links.next',
  'links.next.href',
  '_links.next.href',
  'paging.next.link',
  'pagination.next',
];
const NEXT_CURSORS: [string, string][] = [
  ['next_cursor', 'cursor'],
  ['meta.next_cursor', 'cursor'],
  ['pagination.next_cursor', 'cursor'],
  ['response_metadata.next_cursor', 'cursor'],
  ['nextPageToken', 'pageToken'],
  ['next_page_token', 'page_token'],
];

/**
 * Detects the pagination from each answer (dlt's `auto`): a `Link: rel="next"` header, a next-page URL in the
 * body (`next`, `links.next`, …), a next cursor in the body (`next_cursor` → `cursor`, `nextPageToken` →
 * `pageToken`); none of them: the last page. Nothing is remembered between answers, so one instance serves every
 * stream. `detected` is told what was found, once per kind.
 */
export function autoPaginator(detected?: (kind: string) => void): Paginator {
  const told = new Set<string>();
  const tell = (kind: string) => {
    if (told.has(kind)) return;
    told.add(kind);
    detected?.(kind);
  };
  return {
    next(response, records, request) {
      const link = linkHeaderUrl(response.headers.get('link'));
      if (link) {
        tell('header_link');
        return { url: new URL(link, response.url).toString(), query: {} };
      }
      const body = response.body;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
      for (const path of NEXT_URL_PATHS) {
        const value = valueAt(body, path);
        if (typeof value === 'string' && /^(https?:\/\/|\/)/.test(value)) {
          tell(`json_link (${path})`);
          return { url: new URL(value, response.url).toString(), query: {} };
        }
      }
      for (const [path, param] of NEXT_CURSORS) {
        const value = valueAt(body, path);
        if ((typeof value === 'string' && value !== '') || typeof value === 'number') {
          tell(`cursor (${path} → ${param})`);
          return records.length === 0 && request.query[param] !== undefined
            ? undefined
            : { ...request, query: { ...request.query, [param]: value } };
        }
      }
      return undefined;
    },
  };
}
