import { createInterface } from 'node:readline/promises';
import { addConnector } from '@mage-int/registry';
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { jsonFlag } from '../flags.js';

async function askYesNo(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

export default class Add extends BaseCommand {
  static override summary = 'Install a connector into this project.';

  static override description = `Resolves CONNECTOR and installs it with npm into the project (the nearest directory with a package.json):

  source-x / destination-x   tries the first-party @mage-int/<kind>-x, then the community name
                             mage-int-<kind>-x, then a registry search for a package whose "mage-int" block is
                             that kind and name (e.g. @acme/source-x)
  <package>[@range]          that npm package

Connector names match in any case and by the other names a connector declares (Mage's: source-PostgreSQL,
destination-amazon_s3 install @mage-int/source-postgres, @mage-int/destination-s3).

A connector the project already depends on is not installed again (give a @version to change it). A
third-party connector is installed only after you confirm (--yes skips the question; without a terminal and
without --yes it is refused): anything outside @mage-int, and @mage-int packages from any registry other than
the one npm is configured with for @mage-int. A package that is not a connector (no "mage-int" block
in its package.json) is refused, and uninstalled again if it only shows after installing.

The registry is --registry, else MAGE_INT_REGISTRY, else npm's own config. For a scoped package only its scope
is pointed at that registry, so public dependencies still come from npm's usual registry.`;

  static override examples = [
    { description: 'A first-party connector', command: '<%= config.bin %> <%= command.id %> destination-duckdb' },
    { description: 'A community connector, without the question', command: '<%= config.bin %> <%= command.id %> source-acme --yes' },
    { description: 'From a private registry', command: '<%= config.bin %> <%= command.id %> source-crm --registry http://127.0.0.1:4873' },
  ];

  static override args = {
    connector: Args.string({
      description: 'source-<name>, destination-<name> or an npm package name, optionally @version.',
      required: true,
    }),
  };

  static override flags = {
    registry: Flags.string({ description: 'Registry URL (also: MAGE_INT_REGISTRY).', env: 'MAGE_INT_REGISTRY', helpValue: '<url>' }),
    yes: Flags.boolean({ char: 'y', description: 'Install a third-party connector without asking.' }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Add);
    this.jsonOutput = flags.json;
    const interactive = Boolean(process.stdin.isTTY && process.stderr.isTTY) && !flags.json;
    const result = await addConnector(args.connector, {
      cwd: process.cwd(),
      registry: flags.registry,
      yes: flags.yes,
      confirm: interactive ? askYesNo : undefined,
      log: (message) => this.note(message),
    });
    const { connector } = result;
    if (flags.json) {
      this.out(
        JSON.stringify({
          status: result.alreadyInstalled ? 'installed' : 'ok',
          package: connector.packageName,
          version: connector.version,
          type: connector.manifest.type,
          name: connector.manifest.name,
          project: result.projectDir,
        }),
      );
      return;
    }
    if (result.alreadyInstalled) {
      this.out(`${connector.manifest.type}-${connector.manifest.name} is already installed: ${connector.packageName}@${connector.version}`);
      this.out(
        `another version: mage-int add ${connector.manifest.type}-${connector.manifest.name}@<version>; uninstall: mage-int remove ${connector.manifest.type}-${connector.manifest.name}`,
      );
      return;
    }
    this.out(
      `added ${connector.manifest.type} ${connector.manifest.name}: ${connector.packageName}@${connector.version}${result.resolved?.firstParty ? '' : ' (third party)'}`,
    );
    this.out(`use it in a pipeline as  ${connector.manifest.type}: { name: ${connector.manifest.name}, config: { … } }`);
  }
}
