import { removeConnector } from '@mage-int/registry';
import { Args } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { jsonFlag } from '../flags.js';

export default class Remove extends BaseCommand {
  static override summary = 'Uninstall a connector from this project.';

  static override description =
    'Uninstalls CONNECTOR (source-x, destination-x or its package name) with npm from the nearest project with a package.json.';

  static override examples = [
    { description: 'Remove the DuckDB destination', command: '<%= config.bin %> <%= command.id %> destination-duckdb' },
  ];

  static override args = {
    connector: Args.string({ description: 'source-<name>, destination-<name> or the package name.', required: true }),
  };

  static override flags = { json: jsonFlag };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Remove);
    this.jsonOutput = flags.json;
    const removed = await removeConnector(args.connector, { cwd: process.cwd(), log: (message) => this.note(message) });
    if (flags.json)
      this.out(JSON.stringify({ status: 'ok', package: removed.packageName, type: removed.manifest.type, name: removed.manifest.name }));
    else this.out(`removed ${removed.manifest.type} ${removed.manifest.name} (${removed.packageName})`);
  }
}
