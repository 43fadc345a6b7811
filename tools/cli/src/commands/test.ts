import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ConfigError } from '@mage-int/core';
import { runNpm } from '@mage-int/registry';
import { runConformanceForPackage, type CheckResult } from '@mage-int/testkit';
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { EXIT } from '../exit-codes.js';
import { jsonFlag } from '../flags.js';

export default class Test extends BaseCommand {
  static override summary = 'Run the conformance suite against a connector package.';

  static override description =
    `Builds the connector in DIR (its "build" script), loads it, and runs the mage-int conformance suite with the
package's test/testkit.config.ts against the real service that config sets up:

  source       spec is valid JSON Schema; check() succeeds; discover() returns a valid catalog; records match
               their schemas and carry their keys; STATE holds the full state; an incremental read resumed
               from the first read's state returns nothing older; a far-future bookmark returns nothing
  destination  spec, check(), every shared fixture (expected table contents or errors), STATE only after
               commit, re-loading keyed input is idempotent

Exit code 0 when every check passed (skipped ones say why), 1 when one failed.`;

  static override examples = [
    { description: 'The package in the current directory', command: '<%= config.bin %> <%= command.id %>' },
    {
      description: 'A connector of the monorepo, already built',
      command: '<%= config.bin %> <%= command.id %> connectors/source-faker --no-build',
    },
  ];

  static override args = {
    dir: Args.string({ description: 'Connector package directory.', default: '.' }),
  };

  static override flags = {
    build: Flags.boolean({ description: "Run the package's build script first (default true).", default: true, allowNo: true }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Test);
    this.jsonOutput = flags.json;
    const directory = resolve(args.dir);
    const pkg = JSON.parse(await readFile(join(directory, 'package.json'), 'utf8').catch(() => '{}')) as {
      name?: string;
      scripts?: Record<string, string>;
    };
    if (!pkg.name)
      throw new ConfigError('NOT_A_PACKAGE', `${args.dir} has no package.json`, {
        hint: 'run `mage-int test` in a connector package directory',
      });
    if (flags.build && pkg.scripts?.['build']) {
      this.note(`building ${pkg.name} …`);
      const built = await runNpm(['run', 'build'], { cwd: directory });
      if (built.code !== 0) {
        throw new ConfigError(
          'BUILD_FAILED',
          `npm run build failed in ${args.dir}:\n${(built.stdout + built.stderr).trim().split('\n').slice(-15).join('\n')}`,
        );
      }
    }
    const mark = { passed: 'ok  ', failed: 'FAIL', skipped: 'skip' } as const;
    const results: CheckResult[] = await runConformanceForPackage(directory, (result) => {
      if (flags.json) return;
      const line = `${mark[result.status]}  ${result.name}${result.status === 'skipped' && result.message ? ` (${result.message})` : ''}`;
      this.out(line);
      if (result.status === 'failed' && result.message) this.out(`      ${result.message.replace(/\n/g, '\n      ')}`);
    });
    const count = (status: CheckResult['status']) => results.filter((r) => r.status === status).length;
    if (flags.json) this.out(JSON.stringify({ status: count('failed') === 0 ? 'ok' : 'failed', package: pkg.name, checks: results }));
    else this.out(`\n${pkg.name}: ${count('passed')} passed, ${count('failed')} failed, ${count('skipped')} skipped`);
    if (count('failed') > 0) this.exit(EXIT.failure);
  }
}
