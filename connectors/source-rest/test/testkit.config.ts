// The conformance test config (`mage-int test`, tools/testkit/test/connectors.test.ts): a manifest for a small local
// API (node:http on 127.0.0.1) with a paged incremental stream that filters by `since` and a child stream per
// parent record, so the suite's interrupted and incremental reads exercise pages, bookmarks and partitions.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defineTestConfig } from '@mage-int/testkit';
import type { RestConfig } from '../src/index.js';

const at = (minute: number) => new Date(Date.UTC(2024, 0, 1, 0, minute)).toISOString().replace('.000Z', 'Z');
const users = Array.from({ length: 23 }, (_, i) => ({
  id: i + 1,
  name: `user ${i + 1}`,
  updated_at: at(i),
  score: i % 4 === 0 ? null : i * 1.5,
}));

export default defineTestConfig<RestConfig>({
  kind: 'source',
  async setup() {
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const send = (body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      if (url.pathname === '/users') {
        const since = url.searchParams.get('since') ?? '';
        const matching = users.filter((u) => u.updated_at >= since);
        const offset = Number(url.searchParams.get('offset') ?? 0);
        return send({ data: matching.slice(offset, offset + 5), total: matching.length });
      }
      const match = /^\/users\/(\d+)\/roles$/.exec(url.pathname);
      if (match)
        return send([
          { id: `${match[1]}-reader`, role: 'reader' },
          { id: `${match[1]}-writer`, role: 'writer' },
        ]);
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const config: RestConfig = {
      client: { base_url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, max_retries: 1 },
      resource_defaults: { primary_key: 'id' },
      resources: [
        {
          name: 'users',
          endpoint: {
            paginator: { type: 'offset', limit: 5, total_path: 'total' },
            incremental: { cursor_path: 'updated_at', start_param: 'since' },
          },
        },
        {
          name: 'roles',
          endpoint: { path: 'users/{resources.users.id}/roles', paginator: { type: 'single_page' } },
          include_from_parent: ['name'],
        },
      ],
    };
    return {
      config,
      teardown: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
  },
});
