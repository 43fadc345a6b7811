// `mage-int ui` as a user starts it: the built CLI prints the address with its token, the API answers with that token
// only, pipelines of the project show, and Ctrl-C stops it with exit code 0.
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assertBuilt, startCli, workDir } from './cli-harness.js';

describe('mage-int ui', () => {
  const work = workDir('ui');
  afterAll(() => work.remove());

  it('prints a 127.0.0.1 address with a token, serves the project with it, and stops on Ctrl-C', async () => {
    assertBuilt();
    mkdirSync(join(work.dir, 'pipelines'));
    writeFileSync(
      join(work.dir, 'pipelines', 'orders.yaml'),
      'source: { name: faker }\ndestination: { name: duckdb, config: { path: o.duckdb } }\n',
    );
    const child = startCli(['ui', '--project', work.dir]);
    let stdout = '';
    child.stdout!.setEncoding('utf8');
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', (text: string) => {
        stdout += text;
        const m = /mage-int UI: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(stdout);
        if (m) resolve(m[1]!);
      });
      child.once('exit', () => reject(new Error(`exited before printing the address: ${stdout}`)));
    });
    const address = new URL(url);
    const token = address.searchParams.get('token')!;
    const api = `${address.origin}/api/pipelines`;
    expect((await fetch(api)).status).toBe(401);
    const listed = (await (await fetch(api, { headers: { 'x-mage-int-token': token } })).json()) as { name: string; source: string }[];
    expect(listed).toMatchObject([{ name: 'orders', source: 'faker' }]);
    child.kill('SIGINT');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  });
});
