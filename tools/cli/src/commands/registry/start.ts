import { resolve } from 'node:path';
import { startRegistry } from '@mage-int/registry';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';

export default class RegistryStart extends BaseCommand {
  static override summary = 'Run a private connector registry (verdaccio) on this machine.';

  static override description = `Starts verdaccio in the foreground until Ctrl-C. It is offline (no uplinks: it serves only what was
published to it, and no public package can shadow a name in it), anyone may install, and publishing needs
an account (htpasswd in the storage directory). Create one with \`npm adduser --registry <url>\`.

Point npm at it per scope so public dependencies still come from npm's usual registry:
  npm config set @mycompany:registry http://127.0.0.1:4873/
or per command with --registry / MAGE_INT_REGISTRY.`;

  static override examples = [
    { description: 'On the default port 4873', command: '<%= config.bin %> <%= command.id %>' },
    { description: 'Any free port, packages kept in /srv/mage-int-registry', command: '<%= config.bin %> <%= command.id %> --port 0 --storage /srv/mage-int-registry' },
  ];

  static override flags = {
    port: Flags.integer({ description: 'Port (0: any free port).', default: 4873, min: 0, max: 65535 }),
    host: Flags.string({ description: 'Interface to listen on.', default: '127.0.0.1' }),
    storage: Flags.string({ description: 'Directory for packages and accounts (keep it out of git).', default: '.mage-int/registry', helpValue: '<dir>' }),
    signup: Flags.boolean({ description: 'Let `npm adduser` create accounts (default true).', default: true, allowNo: true }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(RegistryStart);
    const registry = await startRegistry({ port: flags.port, host: flags.host, storage: resolve(flags.storage), allowSignup: flags.signup });
    this.out(`mage-int registry listening on ${registry.url}`);
    this.out(`  storage: ${registry.storage}`);
    this.out(`  account: npm adduser --registry ${registry.url}`);
    this.out(`  publish: mage-int publish --registry ${registry.url}`);
    this.out(`  install: mage-int add <connector> --registry ${registry.url}`);
    await new Promise<void>((done) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        this.note('stopping the registry …');
        void registry.close().then(done);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  }
}
