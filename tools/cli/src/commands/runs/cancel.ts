import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { ConfigError } from '@mage-int/core';
import { executorFor, queueFlags } from '../../queue-flags.js';

export default class RunsCancel extends BaseCommand {
  static override summary = 'Cancel a run: its waiting tasks never start, its running ones stop (committed state is kept).';

  static override args = { id: Args.string({ description: 'The run id (from `mage-int submit` or `mage-int runs`).', required: true }) };

  static override flags = { ...queueFlags };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(RunsCancel);
    const executor = executorFor(flags);
    try {
      if (!(await executor.cancel(args.id)))
        throw new ConfigError('RUN_NOT_FOUND', `no run ${args.id} in queue ${flags.prefix}:${flags.queue}`, {
          hint: 'list the runs with `mage-int runs`',
        });
      this.out(`run ${args.id} cancelled`);
    } finally {
      await executor.close();
    }
  }
}
