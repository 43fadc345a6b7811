import { findInstalledConnectors } from '@mage-int/core';
import { projectDirectory } from '@mage-int/registry';
import { BaseCommand } from '../base-command.js';
import { jsonFlag } from '../flags.js';
import { renderTable } from '../output/table.js';

export default class List extends BaseCommand {
  static override summary = 'List the connectors installed for this project.';

  static override description = `Every package with a "mage-int" block that Node would resolve from the project (its node_modules and
those of the directories above it), nearest copy first. These are the names a pipeline file can use.`;

  static override examples = [
    { description: 'As a table', command: '<%= config.bin %> <%= command.id %>' },
    { description: 'As JSON', command: '<%= config.bin %> <%= command.id %> --json' },
  ];

  static override flags = { json: jsonFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(List);
    this.jsonOutput = flags.json;
    const projectDir = await projectDirectory(process.cwd());
    const connectors = await findInstalledConnectors(projectDir);
    if (flags.json) {
      this.out(
        JSON.stringify(
          connectors.map((c) => ({
            type: c.manifest.type,
            name: c.manifest.name,
            package: c.packageName,
            version: c.version,
            support: c.manifest.support ?? null,
            capabilities: c.manifest.capabilities ?? [],
            directory: c.directory,
          })),
        ),
      );
      return;
    }
    if (connectors.length === 0) {
      this.out('no connectors installed; find some with `mage-int search`, install with `mage-int add source-<name>`');
      return;
    }
    const rows = connectors.map((c) => [
      `${c.manifest.type}-${c.manifest.name}`,
      c.packageName,
      c.version,
      c.manifest.support ?? '-',
      c.description ?? '',
    ]);
    this.out(
      renderTable(
        [{ header: 'CONNECTOR' }, { header: 'PACKAGE' }, { header: 'VERSION' }, { header: 'SUPPORT' }, { header: 'DESCRIPTION' }],
        rows,
      ),
    );
  }
}
