// The example pipeline (examples/github-issues) against a local stand-in of the GitHub REST API: the file as
// shipped, pointed at the stand-in through GITHUB_API_URL, run by the real CLI into DuckDB.
import { copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { duckdbRows } from '@mage-int/testkit';
import { assertBuilt, startCli, workDir } from './cli-run.js';
import { json, serve } from './helpers.js';

const EXAMPLE = fileURLToPath(new URL('../../../examples/github-issues/pipeline.yaml', import.meta.url));
const at = (day: number) => new Date(Date.UTC(2025, 6, day)).toISOString().replace('.000Z', 'Z');

/** Issues 1..12 (every 4th a pull request), 5 a page with Link headers as GitHub sends them, 2 comments each. */
function github() {
  const issues = Array.from({ length: 12 }, (_, i) => ({
    id: 9000 + i + 1,
    number: i + 1,
    title: `issue ${i + 1}`,
    updated_at: at(i + 1),
    user: { login: 'octo', avatar_url: 'https://example.invalid/a.png' },
    reactions: { total_count: 0 },
    ...((i + 1) % 4 === 0 ? { pull_request: { url: 'https://example.invalid/pr' } } : {}),
  }));
  const comments = issues.flatMap((issue) =>
    [1, 2].map((n) => ({ id: issue.number * 100 + n, body: `comment ${n}`, updated_at: issue.updated_at })),
  );
  return { issues, comments };
}

describe('examples/github-issues', () => {
  const work = workDir('github-example');
  beforeAll(() => assertBuilt());
  afterAll(() => work.remove());

  it("loads issues without pull requests and every issue's comments, then reads only what changed", async () => {
    const data = github();
    const server = await serve((req, res, url) => {
      if (req.headers['x-github-api-version'] !== '2022-11-28') return json(res, 400, { message: 'no API version' });
      const match = /^\/repos\/octo\/hello\/issues(?:\/(\d+)\/comments)?$/.exec(url.pathname);
      if (!match) return json(res, 404, { message: 'Not Found' });
      const since = url.searchParams.get('since') ?? '';
      const page = Number(url.searchParams.get('page') ?? 1);
      const all = match[1] ? data.comments.filter((c) => Math.floor(c.id / 100) === Number(match[1])) : data.issues;
      const matching = all.filter((r) => r.updated_at >= since);
      const size = Math.min(Number(url.searchParams.get('per_page')), 5);
      const last = Math.max(1, Math.ceil(matching.length / size));
      const next = new URL(url.pathname + url.search, 'http://127.0.0.1');
      next.searchParams.set('page', String(page + 1));
      json(
        res,
        200,
        matching.slice((page - 1) * size, page * size),
        page < last ? { link: `<${next.pathname}${next.search}>; rel="next", <${url.pathname}?page=${last}>; rel="last"` } : {},
      );
    });
    const pipeline = join(work.dir, 'pipeline.yaml');
    copyFileSync(EXAMPLE, pipeline);
    const env = { GITHUB_API_URL: server.url, GITHUB_REPO: 'octo/hello', GITHUB_SINCE: at(1) };

    const first = await startCli(['run', pipeline, '--progress', 'none', '--log-level', 'warn'], work.dir, env).done;
    expect(first.code, first.stderr).toBe(0);
    const db = join(work.dir, 'github.duckdb');
    const issues = await duckdbRows(db, 'SELECT number::INTEGER AS number FROM issues ORDER BY number');
    expect(issues.map((r) => r['number'])).toEqual([1, 2, 3, 5, 6, 7, 9, 10, 11]);
    const [counts] = await duckdbRows(
      db,
      'SELECT count(*)::INTEGER AS n, count(DISTINCT _issues_number)::INTEGER AS issues FROM issue_comments',
    );
    expect(counts).toEqual({ n: 18, issues: 9 });
    const columns = (await duckdbRows(db, "SELECT column_name FROM information_schema.columns WHERE table_name = 'issues'")).map(
      (r) => r['column_name'],
    );
    expect(columns).not.toContain('reactions');

    data.issues.push({
      id: 9013,
      number: 13,
      title: 'issue 13',
      updated_at: at(20),
      user: { login: 'octo', avatar_url: '' },
      reactions: { total_count: 0 },
    });
    data.comments.push({ id: 1301, body: 'new', updated_at: at(20) });
    server.requests.length = 0;
    const second = await startCli(['run', pipeline, '--progress', 'none', '--log-level', 'warn'], work.dir, env).done;
    expect(second.code, second.stderr).toBe(0);
    const issueRequests = server.requests.filter((r) => r.url.pathname === '/repos/octo/hello/issues');
    // The issues stream asks from its bookmark (issue 12 is a pull request, filtered out after reading).
    expect(issueRequests.map((r) => r.url.searchParams.get('since'))).toContain(at(11));
    const [after] = await duckdbRows(
      db,
      'SELECT (SELECT count(*)::INTEGER FROM issues) AS issues, (SELECT count(*)::INTEGER FROM issue_comments) AS comments',
    );
    expect(after).toEqual({ issues: 10, comments: 19 });
  });
});
