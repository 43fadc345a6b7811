import { resolve } from 'node:path';
import { ConfigError } from '@mage-int/core';
import { addRegistryUser, PUBLISHER_GROUP } from '@mage-int/registry';
import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';

/** Reads a password: hidden input on a terminal, else the first line of stdin. */
async function readPassword(prompt: string): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) {
    let text = '';
    for await (const chunk of input) text += String(chunk);
    return text.split(/\r?\n/)[0] ?? '';
  }
  process.stderr.write(prompt);
  input.setRawMode(true);
  input.resume();
  return new Promise((done, fail) => {
    let password = '';
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') finish(undefined);
        else if (char === '\u0003') finish(new ConfigError('INTERRUPTED', 'no account created'));
        else if (char === '\u007f') password = password.slice(0, -1);
        else password += char;
      }
    };
    const finish = (error: Error | undefined) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
      if (error) fail(error);
      else done(password);
    };
    input.on('data', onData);
  });
}

export default class RegistryAdduser extends BaseCommand {
  static override summary = 'Create an account on a registry run by `mage-int registry start`.';

  static override description = `Sign-up over the network is off on a mage-int registry, so accounts are created here, by whoever can write
the registry's storage directory (also while it runs). The password is asked for on a terminal, else read
from the first line of stdin. --first-party adds the account to the ${PUBLISHER_GROUP} group, the only
one that may publish @mage-int/* packages.

Then log in from npm: npm login --registry <url>`;

  static override examples = [
    { description: 'An account that may publish your own scopes', command: '<%= config.bin %> <%= command.id %> alice' },
    {
      description: 'A first-party publisher, password from a secret store',
      command: 'pass show registry/ci | <%= config.bin %> <%= command.id %> ci --first-party --storage /srv/mage-int-registry',
    },
  ];

  static override args = {
    name: Args.string({ description: 'Account name.', required: true }),
  };

  static override flags = {
    storage: Flags.string({
      description: "The registry's storage directory (as given to `registry start`).",
      default: '.mage-int/registry',
      helpValue: '<dir>',
    }),
    'first-party': Flags.boolean({ description: `Add the account to ${PUBLISHER_GROUP}: it may publish @mage-int/* packages.` }),
    replace: Flags.boolean({ description: 'Set a new password when the account exists.' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(RegistryAdduser);
    const storage = resolve(flags.storage);
    const password = await readPassword(`password for ${args.name}: `);
    await addRegistryUser(storage, args.name, password, { groups: flags['first-party'] ? [PUBLISHER_GROUP] : [], replace: flags.replace });
    this.out(
      `created account ${args.name} in ${storage}${flags['first-party'] ? ` (group ${PUBLISHER_GROUP}: may publish @mage-int/*)` : ''}`,
    );
    this.out('log in with: npm login --registry <the registry url>');
  }
}
