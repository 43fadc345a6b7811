import type { RecordData } from '../../protocol/messages.js';
import type { HttpResponse, QueryValue } from './http-client.js';
import { valueAt, type ValuePath } from './value-at.js';

/** One page's request: a path with query and body, or a next-page URL that already holds its query. */
export interface PageRequest {
  path?: string;
  url?: string;
  query: Record<string, QueryValue>;
  body?: Record<string, unknown>;
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
  /** The parameter the cursor is sent in (`after`, `starting_after`, `cursor`). */
  param: string;
  /** Sent in the query (default) or the JSON body (a search POST). */
  in?: 'query' | 'body';
  /** Whether more pages follow (Stripe `has_more`; a function may negate Zendesk's `end_of_stream`); default: a cursor was given. */
  hasMore?: ValuePath;
  /** Page size parameter and value added to the first page (and kept on the next ones). */
  limit?: { param: string; value: number };
}

/** A cursor from each answer goes into the next request (Stripe, HubSpot, Zendesk cursor export). */
export function cursorPaginator(options: CursorPaginatorOptions): Paginator {
  const place = (request: PageRequest, name: string, value: unknown): PageRequest =>
    options.in === 'body' ? { ...request, body: { ...request.body, [name]: value } } : { ...request, query: { ...request.query, [name]: value as QueryValue } };
  return {
    first: (request) => (options.limit ? place(request, options.limit.param, options.limit.value) : request),
    next(response, records, request) {
      if (options.hasMore !== undefined && !valueAt(response.body, options.hasMore)) return undefined;
      const from = options.cursor;
      const cursor = typeof from === 'function' ? from(response, records) : typeof from === 'string' ? valueAt(response.body, from) : records[records.length - 1]?.[from.lastRecord];
      if (cursor === undefined || cursor === null || cursor === '') return undefined;
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
      if (records.length === 0 || (total !== undefined && Number.isFinite(total) ? offset >= total : records.length < options.limit)) return undefined;
      return { ...request, query: { ...request.query, [offsetParam]: offset } };
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
}

/** `?page=1,2,3…`: stops at an empty page, a short page, or the page count. */
export function pageNumberPaginator(options: PageNumberPaginatorOptions = {}): Paginator {
  const pageParam = options.pageParam ?? 'page';
  const base = options.basePage ?? 1;
  return {
    first: (request) => ({ ...request, query: { ...request.query, [pageParam]: base, ...(options.pageSize ? { [options.pageSize.param]: options.pageSize.value } : {}) } }),
    next(response, records, request) {
      const page = Number(request.query[pageParam] ?? base);
      const pages = options.totalPagesPath === undefined ? undefined : Number(valueAt(response.body, options.totalPagesPath));
      if (records.length === 0) return undefined;
      if (pages !== undefined && Number.isFinite(pages) && page - base + 1 >= pages) return undefined;
      if (options.pageSize && records.length < options.pageSize.value) return undefined;
      return { ...request, query: { ...request.query, [pageParam]: page + 1 } };
    },
  };
}
