import {
  autoPaginator,
  cursorPaginator,
  headerCursorPaginator,
  linkHeaderPaginator,
  nextUrlPaginator,
  offsetPaginator,
  pageNumberPaginator,
  singlePage,
  stopWhen,
  type Logger,
  type Paginator,
} from '@mage-int/core';
import type { Paginator as PaginatorConfig } from './generated/config.js';
import { normalizePath, selectOne } from './json-path.js';

/** The kit's paginator for a `paginator` setting (JSONPaths compiled to functions of the body). */
export function buildPaginator(config: PaginatorConfig | undefined, logger: Logger, stream: string): Paginator {
  const at = (path: string) => {
    const normalized = normalizePath(path);
    return (body: unknown) => selectOne(body, normalized);
  };
  const base = basePaginator(config, logger, stream, at);
  if (!config) return base;
  const { has_more_path: hasMore, stop_path: stop } = config;
  const stopAfterEmpty = config.stop_after_empty_page ?? true;
  if (hasMore === undefined && stop === undefined && stopAfterEmpty) return base;
  return stopWhen(base, (response, records) => {
    if (stopAfterEmpty && records.length === 0 && (config.type === 'offset' || config.type === 'page_number')) return true;
    if (hasMore !== undefined && !at(hasMore)(response.body)) return true;
    return stop !== undefined && Boolean(at(stop)(response.body));
  });
}

function basePaginator(
  config: PaginatorConfig | undefined,
  logger: Logger,
  stream: string,
  at: (path: string) => (body: unknown) => unknown,
): Paginator {
  switch (config?.type ?? 'auto') {
    case 'auto':
      return autoPaginator((kind) => logger.info(`paginator detected: ${kind}`, { stream }));
    case 'single_page':
      return singlePage();
    case 'json_link':
      return nextUrlPaginator({ path: at(config?.next_url_path ?? 'next') });
    case 'header_link':
      return linkHeaderPaginator({ rel: config?.links_next_key ?? 'next' });
    case 'header_cursor':
      return headerCursorPaginator({ header: config?.cursor_key ?? 'next', param: config?.cursor_param ?? 'cursor' });
    case 'cursor': {
      const bodyPath = config?.cursor_body_path;
      const location = bodyPath ? 'body' : (config?.cursor_location ?? 'query');
      return cursorPaginator({
        cursor: (response) => at(config?.cursor_path ?? 'cursors.next')(response.body),
        param: bodyPath ?? config?.cursor_param ?? 'cursor',
        in: location,
      });
    }
    case 'offset': {
      const limit = config?.limit as number;
      const offsetParam = config?.offset_param ?? 'offset';
      const inner = offsetPaginator({
        limit,
        offsetParam,
        limitParam: config?.limit_param ?? 'limit',
        ...(config?.total_path ? { totalPath: at(config.total_path) } : {}),
        ...(config?.maximum_offset !== undefined ? { maximumOffset: config.maximum_offset } : {}),
      });
      const start = config?.offset ?? 0;
      return start === 0
        ? inner
        : {
            ...inner,
            first: (request) => {
              const first = inner.first ? inner.first(request) : request;
              return { ...first, query: { ...first.query, [offsetParam]: start } };
            },
          };
    }
    case 'page_number':
      return pageNumberPaginator({
        pageParam: config?.page_param ?? 'page',
        basePage: config?.base_page ?? 1,
        ...(config?.page_size ? { pageSize: { param: config.page_size_param ?? 'per_page', value: config.page_size } } : {}),
        ...(config?.total_path ? { totalPagesPath: at(config.total_path) } : {}),
        ...(config?.maximum_page !== undefined ? { maximumPage: config.maximum_page } : {}),
      });
  }
}
