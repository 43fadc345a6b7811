import { configuredRegistries, configuredRegistry, normaliseRegistry, searchConnectors } from '@mage-int/registry';
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { jsonFlag } from '../flags.js';
import { renderTable } from '../output/table.js';

export default class Search extends BaseCommand {
  static override summary = 'Find connectors: first-party ones and community packages in your registries.';

  static override description = `Searches the index of first-party connectors shipped with mage-int and the search API of each registry
(/-/v1/search for packages with the keyword mage-int-connector): --registry / MAGE_INT_REGISTRY, else every
registry in npm's config (the default one and each @scope:registry).`;

  static override examples = [
    { description: 'Everything about PostgreSQL', command: '<%= config.bin %> <%= command.id %> postgres' },
    { description: 'Every connector', command: '<%= config.bin %> <%= command.id %>' },
    {
      description: 'Every connector in a private registry',
      command: '<%= config.bin %> <%= command.id %> --registry http://127.0.0.1:4873',
    },
  ];

  static override args = {
    term: Args.string({
      description:
        "Words to look for in names, aliases (Mage's postgresql, amazon_s3, …; any case), descriptions and keywords (none: every connector).",
    }),
  };

  static override flags = {
    registry: Flags.string({ description: 'Registry URL (also: MAGE_INT_REGISTRY).', env: 'MAGE_INT_REGISTRY', helpValue: '<url>' }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Search);
    this.jsonOutput = flags.json;
    const registries = flags.registry ? [normaliseRegistry(flags.registry)] : await configuredRegistries(process.cwd());
    const hits = await searchConnectors(args.term, registries, {
      firstPartyRegistry: await configuredRegistry('@mage-int/core', process.cwd()),
    });
    if (flags.json) {
      this.out(JSON.stringify(hits));
      return;
    }
    if (hits.length === 0) {
      this.out(
        `${args.term ? `no connector matches "${args.term}"` : 'no connectors found'} (searched the first-party index and ${registries.join(', ')})`,
      );
      return;
    }
    const rows = hits.map((h) => [
      h.type && h.name ? `${h.type}-${h.name}` : '?',
      h.package,
      h.version,
      h.support,
      (h.aliases ?? []).join(', '),
      h.description,
    ]);
    this.out(
      renderTable(
        [
          { header: 'CONNECTOR' },
          { header: 'PACKAGE' },
          { header: 'VERSION' },
          { header: 'SUPPORT' },
          { header: 'ALSO NAMED' },
          { header: 'DESCRIPTION' },
        ],
        rows,
      ),
    );
    this.out(`\ninstall with \`mage-int add <connector>\``);
  }
}
