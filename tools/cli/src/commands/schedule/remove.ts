import { ConfigError } from '@mage-int/core';
import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { executorFor, queueFlags } from '../../queue-flags.js';

export default class ScheduleRemove extends BaseCommand {
  static override summary = 'Remove a schedule (runs it already queued go on).';

  static override args = { id: Args.string({ description: 'The schedule id (see `mage-int schedule list`).', required: true }) };

  static override flags = { ...queueFlags };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ScheduleRemove);
    const executor = executorFor(flags);
    try {
      if (!(await executor.unschedule(args.id)))
        throw new ConfigError('SCHEDULE_NOT_FOUND', `no schedule ${args.id} in queue ${flags.prefix}:${flags.queue}`, {
          hint: 'list them with `mage-int schedule list`',
        });
      this.out(`schedule ${args.id} removed`);
    } finally {
      await executor.close();
    }
  }
}
