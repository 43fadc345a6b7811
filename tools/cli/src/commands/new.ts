import { relative } from 'node:path';
import { runNpm, registryArgs } from '@mage-int/registry';
import { findWorkspaceRoot, listTemplates, scaffoldConnector } from '@mage-int/templates';
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';

export default class New extends BaseCommand {
  static override summary = 'Scaffold a new connector package from a template.';

  static override description = `Creates <kind>-<name>/ with the standard connector layout: package.json (with its "mage-int" block),
spec.json (the config schema, source of the generated Config type), src/ (the connector object, a bin),
test/ (unit tests and test/testkit.config.ts for the conformance suite) and a README.

Templates: source-http (a real HTTP-API source: cursor pagination, retries with backoff on 429/5xx,
incremental bookmark) and destination-http (batched POSTs, retries, state only after each batch is accepted).

Inside the mage-int monorepo the package is created under connectors/ as @mage-int/<kind>-<name> and shares the
workspace's tooling. Anywhere else it is self-contained (its own tsconfig, vitest, mage-int-codegen) and named
mage-int-<kind>-<name>, or <scope>/<kind>-<name> with --scope; its dependencies are installed with npm.`;

  static override examples = [
    { description: 'An HTTP-API source', command: '<%= config.bin %> <%= command.id %> source acme' },
    { description: 'Scoped, for a private registry', command: '<%= config.bin %> <%= command.id %> source acme --scope @mycompany' },
    {
      description: 'A destination, without installing dependencies',
      command: '<%= config.bin %> <%= command.id %> destination warehouse-api --no-install',
    },
  ];

  static override args = {
    kind: Args.string({ description: 'What to create.', options: ['source', 'destination'], required: true }),
    name: Args.string({ description: 'Connector name: lower case letters, digits and dashes (acme, google-sheets).', required: true }),
  };

  static override flags = {
    dir: Flags.string({
      description: 'Directory to create (default: connectors/<kind>-<name> in the monorepo, else ./<kind>-<name>).',
      helpValue: '<dir>',
    }),
    template: Flags.string({ description: 'Template to use (default: the HTTP template of the kind).', helpValue: '<id>' }),
    scope: Flags.string({
      description: 'npm scope of a standalone package, e.g. @mycompany (needed to publish to a private registry).',
      helpValue: '<@scope>',
    }),
    'package-name': Flags.string({ description: 'npm package name, overriding the default.', helpValue: '<name>' }),
    install: Flags.boolean({
      description: 'Install the dependencies of a standalone package with npm (default true).',
      default: true,
      allowNo: true,
    }),
    registry: Flags.string({
      description: 'Registry for the @mage-int packages when installing (also: MAGE_INT_REGISTRY).',
      env: 'MAGE_INT_REGISTRY',
      helpValue: '<url>',
    }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(New);
    const kind = args.kind as 'source' | 'destination';
    const root = flags.dir ? undefined : await findWorkspaceRoot(process.cwd());
    const directory = flags.dir ?? (root ? `${root}/connectors/${kind}-${args.name}` : undefined);
    const result = await scaffoldConnector({
      kind,
      name: args.name,
      directory,
      template: flags.template,
      scope: flags.scope,
      packageName: flags['package-name'],
    });
    const shown = relative(process.cwd(), result.directory) || '.';
    this.out(`created ${result.packageName} in ${shown} (template ${result.template}, ${result.layout} layout):`);
    for (const file of result.files) this.out(`  ${file}`);
    if (result.layout === 'standalone' && flags.install) {
      this.note(`installing dependencies in ${shown} …`);
      const install = await runNpm(['install', ...registryArgs('@mage-int/core', flags.registry)], { cwd: result.directory });
      if (install.code !== 0) {
        this.note(install.stderr.trim().split('\n').slice(-8).join('\n'));
        this.note(`npm install failed; the package was created. Fix the registry setup, then run \`npm install\` in ${shown}.`);
        this.exit(1);
      }
    }
    const steps =
      result.layout === 'workspace'
        ? [
            'npm install            (from the monorepo root: links the new package)',
            `npm run build -w ${result.packageName}`,
            `mage-int test ${shown}`,
          ]
        : [
            ...(flags.install ? [] : [`cd ${shown} && npm install`]),
            `cd ${shown}`,
            'npm test               (unit tests + conformance suite)',
            'mage-int test          (conformance suite alone)',
            'mage-int publish',
          ];
    this.out(`\nnext:\n${steps.map((s) => `  ${s}`).join('\n')}`);
    const templates = await listTemplates();
    if (templates.length > 2) this.out(`\nother templates: ${templates.map((t) => t.id).join(', ')}`);
  }
}
