import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '@mage-int/core';
import { findCheckout, seedRegistry, startRegistry } from '@mage-int/registry';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';

export default class RegistryStart extends BaseCommand {
  static override summary = 'Run a private connector registry (verdaccio) on this machine.';

  static override description = `Starts verdaccio in the foreground until Ctrl-C. It is offline (no uplinks: it serves only what was
published to it, and no public package can shadow a name in it), anyone may install, and publishing needs
an account (htpasswd in the storage directory). Sign-up over the network is off: create accounts with
\`mage-int registry adduser <name>\` (--first-party for the group that may publish @mage-int/*), or allow
\`npm adduser\` with --signup.

--seed publishes every first-party package of the mage-int checkout (core, cli, connectors, …; built with
\`npm run build\`) into it, so a project anywhere on this machine can install mage-int from it:
  mage-int init my-project --registry http://127.0.0.1:4873/
Versions already in the registry are kept.

Point npm at it per scope so public dependencies still come from npm's usual registry:
  npm config set @mycompany:registry http://127.0.0.1:4873/
or per command with --registry / MAGE_INT_REGISTRY.`;

  static override examples = [
    { description: 'On the default port 4873', command: '<%= config.bin %> <%= command.id %>' },
    {
      description: 'With every package of this checkout published in it (what `npm run registry` does)',
      command: '<%= config.bin %> <%= command.id %> --seed',
    },
    {
      description: 'Any free port, packages kept in /srv/mage-int-registry',
      command: '<%= config.bin %> <%= command.id %> --port 0 --storage /srv/mage-int-registry',
    },
  ];

  static override flags = {
    port: Flags.integer({ description: 'Port (0: any free port).', default: 4873, min: 0, max: 65535 }),
    host: Flags.string({ description: 'Interface to listen on.', default: '127.0.0.1' }),
    storage: Flags.string({
      description: 'Directory for packages and accounts (keep it out of git).',
      default: '.mage-int/registry',
      helpValue: '<dir>',
    }),
    signup: Flags.boolean({
      description: 'Let `npm adduser` create accounts over the network (default: off).',
      default: false,
      allowNo: true,
    }),
    seed: Flags.boolean({ description: 'Publish every first-party package of the mage-int checkout into the registry.' }),
    checkout: Flags.string({
      description: "The mage-int checkout to seed from (default: the one this command runs from, else the current directory's).",
      helpValue: '<dir>',
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(RegistryStart);
    let checkout: string | undefined;
    if (flags.seed) {
      checkout = flags.checkout
        ? resolve(flags.checkout)
        : ((await findCheckout(dirname(fileURLToPath(import.meta.url)))) ?? (await findCheckout(process.cwd())));
      if (!checkout || !(await findCheckout(checkout))) {
        throw new ConfigError('CHECKOUT_NOT_FOUND', `${checkout ?? 'no directory here'} is not a mage-int checkout`, {
          hint: 'run it in a clone of mage-int, or pass --checkout <dir>',
        });
      }
    }
    const registry = await startRegistry({
      port: flags.port,
      host: flags.host,
      storage: resolve(flags.storage),
      allowSignup: flags.signup,
    });
    const stop = new Promise<void>((done) => {
      const onSignal = () => {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        this.note('stopping the registry …');
        void registry.close().then(done);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
    this.out(`mage-int registry listening on ${registry.url}`);
    this.out(`  storage: ${registry.storage}`);
    if (checkout) {
      this.note(`seeding from ${checkout} …`);
      try {
        const seeded = await seedRegistry(registry, checkout, { log: (message) => this.note(`  ${message}`) });
        this.out(
          `  seeded:  ${seeded.published.length} packages published${seeded.skipped.length ? `, ${seeded.skipped.length} already there` : ''}`,
        );
      } catch (error) {
        await registry.close();
        throw error;
      }
      this.out(`  project: mage-int init my-project --registry ${registry.url}`);
    }
    this.out(
      `  account: mage-int registry adduser <name> --storage ${registry.storage}${flags.signup ? ` (or npm adduser --registry ${registry.url})` : ''}`,
    );
    this.out(`  publish: mage-int publish --registry ${registry.url}`);
    this.out(`  install: mage-int add <connector> --registry ${registry.url}`);
    await stop;
  }
}
