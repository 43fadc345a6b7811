import { publishConnector } from '@mage-int/registry';
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { jsonFlag } from '../flags.js';

export default class Publish extends BaseCommand {
  static override summary = 'Build, pack and publish a connector package to a registry.';

  static override description = `Checks the package (name, version, the "mage-int" block, the mage-int-connector keyword, spec.json),
that you are logged in to the registry and that this version is not published yet; builds it; checks the
tarball holds the built entry point, types and spec.json and no sources; then runs npm publish.

The registry is --registry, else MAGE_INT_REGISTRY, else npm's own config for the package's scope.`;

  static override examples = [
    { description: "The package in the current directory, to npm's configured registry", command: '<%= config.bin %> <%= command.id %>' },
    {
      description: 'To a private registry',
      command: '<%= config.bin %> <%= command.id %> connectors/source-acme --registry http://127.0.0.1:4873',
    },
    { description: 'Check everything but upload nothing', command: '<%= config.bin %> <%= command.id %> --dry-run' },
  ];

  static override args = {
    dir: Args.string({ description: 'Connector package directory.', default: '.' }),
  };

  static override flags = {
    registry: Flags.string({ description: 'Registry URL (also: MAGE_INT_REGISTRY).', env: 'MAGE_INT_REGISTRY', helpValue: '<url>' }),
    build: Flags.boolean({ description: "Run the package's build script first (default true).", default: true, allowNo: true }),
    'dry-run': Flags.boolean({ description: 'Do every check and pack, but do not upload.' }),
    tag: Flags.string({ description: 'dist-tag to publish under (default latest).', helpValue: '<tag>' }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Publish);
    this.jsonOutput = flags.json;
    const result = await publishConnector(args.dir, {
      registry: flags.registry,
      build: flags.build,
      dryRun: flags['dry-run'],
      tag: flags.tag,
      log: (message) => this.note(message),
    });
    if (flags.json) {
      this.out(JSON.stringify({ status: 'ok', ...result }));
      return;
    }
    this.out(
      `${result.published ? 'published' : 'checked (dry run)'} ${result.packageName}@${result.version} ${result.published ? 'to' : 'for'} ${result.registry}`,
    );
    this.out(`  ${result.files.length} files: ${result.files.join(', ')}`);
  }
}
