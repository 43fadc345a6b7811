import { access, mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { ConfigError } from '@mage-int/core';
import { loadConnectorIndex, normaliseRegistry } from '@mage-int/registry';
import corePackage from '@mage-int/core/package.json' with { type: 'json' };
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { packageNameFor, starterProject } from '../init/starter-project.js';

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

/** `1.2.3` → `^1.2.3`; a connector missing from the index (a partial build) → any version. */
function caretRange(version: string | undefined): string {
  return version ? `^${version}` : '*';
}

export default class Init extends BaseCommand {
  static override summary = 'Create a starter project: package.json, an example pipeline, .gitignore.';

  static override description = `Writes, in DIR (default: the current directory):
  package.json            type module, depending on @mage-int/cli, source-faker and destination-duckdb
  pipelines/example.yaml  faker → duckdb, with a $schema comment so editors complete pipeline keys
  .gitignore              node_modules/, .mage-int/ (state), *.duckdb
  .npmrc                  with --registry: @mage-int:registry=<url>, so npm install, mage-int add and
                          mage-int remove take @mage-int packages from that registry (others from npm's usual one)

Existing files are never overwritten unless --force is given. Then \`npm install\` and run the example.`;

  static override examples = [
    { description: 'A new project directory', command: '<%= config.bin %> <%= command.id %> my-pipelines' },
    {
      description: 'In the current directory, replacing files from an earlier init',
      command: '<%= config.bin %> <%= command.id %> --force',
    },
    {
      description: 'Installing mage-int from a local registry',
      command: '<%= config.bin %> <%= command.id %> my-pipelines --registry http://127.0.0.1:4873/',
    },
  ];

  static override args = {
    dir: Args.string({ description: 'Directory of the new project (created when missing).', default: '.' }),
  };

  static override flags = {
    force: Flags.boolean({ description: 'Overwrite files that already exist.' }),
    registry: Flags.string({
      description:
        "Registry serving the @mage-int packages (e.g. one started with `mage-int registry start --seed`): written to the project's .npmrc.",
      helpValue: '<url>',
    }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Init);
    const root = resolve(args.dir);
    const index = await loadConnectorIndex();
    const versionOf = (name: string) => index.find((entry) => entry.package === name)?.version;
    const files = starterProject({
      name: packageNameFor(basename(root)),
      ranges: {
        cli: caretRange(this.config.version),
        core: caretRange(corePackage.version),
        sourceFaker: caretRange(versionOf('@mage-int/source-faker')),
        destinationDuckdb: caretRange(versionOf('@mage-int/destination-duckdb')),
      },
      registry: flags.registry ? normaliseRegistry(flags.registry) : undefined,
    });
    const existing: string[] = [];
    for (const file of files) if (await exists(join(root, file.path))) existing.push(file.path);
    if (existing.length > 0 && !flags.force) {
      throw new ConfigError('INIT_WOULD_OVERWRITE', `${args.dir} already has ${existing.join(', ')}; nothing was written`, {
        hint: `run \`mage-int init ${args.dir === '.' ? '' : `${args.dir} `}--force\` to overwrite ${existing.length === 1 ? 'it' : 'them'}, or choose another directory`,
      });
    }
    for (const file of files) {
      const path = join(root, file.path);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, file.content);
      this.out(`${existing.includes(file.path) ? 'overwrote' : 'created'} ${join(args.dir, file.path)}`);
    }
    const cd = relative(process.cwd(), root);
    this.out('');
    this.out('next:');
    if (cd) this.out(`  cd ${cd}`);
    this.out('  npm install');
    this.out('  npx mage-int run pipelines/example.yaml');
  }
}
