import { describe, expect, it } from 'vitest';
import { RestSource, type RestConfig } from '../src/index.js';

const client = { base_url: 'http://127.0.0.1:9' };

function problem(config: unknown): unknown {
  try {
    const source = new RestSource({ config: config as RestConfig });
    void source;
    return undefined;
  } catch (error) {
    return error;
  }
}

async function semanticProblem(config: RestConfig): Promise<unknown> {
  return new RestSource({ config }).discover().then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('the manifest is checked before any request, with errors naming the resource and the setting', () => {
  it('spec.json: unknown paginator types, missing paginator settings, typos and auth settings', () => {
    expect(
      problem({ client, resources: [{ name: 'users' }, { name: 'comments', endpoint: { paginator: { type: 'pages' } } }] }),
    ).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('"resources[comments].endpoint.paginator.type" must be one of "auto", "single_page"'),
    });
    expect(problem({ client, resources: [{ name: 'users', endpoint: { paginator: { type: 'offset' } } }] })).toMatchObject({
      message: expect.stringContaining('"resources[users].endpoint.paginator.limit" is required'),
    });
    expect(problem({ client, resources: [{ name: 'users', endpoint: { data_selecter: 'data' } }] })).toMatchObject({
      message: expect.stringContaining('"resources[users].endpoint.data_selecter" is not a known setting'),
    });
    expect(problem({ client: { ...client, auth: { type: 'bearer' } }, resources: [{ name: 'users' }] })).toMatchObject({
      message: expect.stringContaining('"client.auth.token" is required'),
    });
    expect(problem({ client, resources: [] })).toMatchObject({
      message: expect.stringContaining('"resources" must NOT have fewer than 1 items'),
    });
  });

  it('references, JSONPaths, filter expressions and keys are checked too', async () => {
    const r = (extra: Partial<NonNullable<RestConfig['resources']>[number]>) =>
      ({ client, resources: [{ name: 'users' }, { name: 'posts', ...extra }] }) as RestConfig;
    expect(await semanticProblem(r({ endpoint: { path: 'users/{resources.user.id}/posts' } }))).toMatchObject({
      code: 'PARENT_UNKNOWN',
      stream: 'posts',
      field: 'endpoint.path',
      message: expect.stringContaining('no resource "user"'),
    });
    expect(await semanticProblem(r({ endpoint: { data_selector: '$.data[' } }))).toMatchObject({
      code: 'JSONPATH_INVALID',
      stream: 'posts',
      field: 'endpoint.data_selector',
    });
    expect(await semanticProblem(r({ processing_steps: [{ filter: '@.status = 1' }] }))).toMatchObject({
      code: 'JSONPATH_INVALID',
      stream: 'posts',
      field: 'processing_steps[0].filter',
    });
    expect(await semanticProblem(r({ write_disposition: 'merge' }))).toMatchObject({
      code: 'PRIMARY_KEY_MISSING',
      stream: 'posts',
      field: 'primary_key',
    });
    expect(await semanticProblem(r({ include_from_parent: ['id'] }))).toMatchObject({
      code: 'PARENT_MISSING',
      stream: 'posts',
      field: 'include_from_parent',
    });
    expect(
      await semanticProblem({
        client,
        resources: [
          { name: 'a', endpoint: { path: 'x/{resources.b.id}' } },
          { name: 'b', endpoint: { path: 'y/{resources.a.id}' } },
        ],
      }),
    ).toMatchObject({ code: 'PARENT_CYCLE', message: expect.stringContaining('a → b → a') });
  });
});
