import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { jsonFlag, pipelineArg } from '../../flags.js';
import { loadPipelineForState } from '../../pipeline/load-pipeline.js';
import { executorFor, formatTime, queueFlags } from '../../queue-flags.js';

export default class Schedule extends BaseCommand {
  static override summary = 'Run a pipeline on a cron schedule, on the workers (a repeatable job in the queue).';

  static override description = `Each time the cron pattern fires, a run is queued as by \`mage-int submit\` and taken by a worker; \
it shows in \`mage-int runs\`. The schedule is kept in Redis (not in this process): list them with \`mage-int schedule list\`, \
remove one with \`mage-int schedule remove <id>\`. Scheduling the same --id again replaces it. A pattern has 5 fields \
(minute hour day month weekday) or 6 with seconds first.`;

  static override examples = [
    { description: 'Every 15 minutes', command: '<%= config.bin %> <%= command.id %> pipelines/orders.yaml --cron "*/15 * * * *"' },
    {
      description: 'Nightly at 02:30 UTC, only two streams',
      command:
        '<%= config.bin %> <%= command.id %> pipelines/orders.yaml --cron "30 2 * * *" --streams orders,customers --id orders-nightly',
    },
  ];

  static override args = { pipeline: pipelineArg };

  static override flags = {
    ...queueFlags,
    cron: Flags.string({ description: 'When to run: a cron pattern, e.g. "*/15 * * * *" (UTC).', required: true, helpValue: '<pattern>' }),
    id: Flags.string({
      description: "The schedule's id (default: the pipeline's id); the same id replaces a schedule.",
      helpValue: '<id>',
    }),
    streams: Flags.string({
      description: 'Sync only these streams (comma-separated).',
      multiple: true,
      multipleNonGreedy: true,
      delimiter: ',',
      helpValue: '<a,b>',
    }),
    'full-refresh': Flags.boolean({ description: 'Every run ignores the saved bookmarks of the streams it syncs.' }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Schedule);
    this.jsonOutput = flags.json;
    const config = await loadPipelineForState(args.pipeline);
    const executor = executorFor(flags);
    try {
      const schedule = await executor.schedule(
        {
          pipeline: args.pipeline,
          ...(flags.streams ? { streams: flags.streams } : {}),
          ...(flags['full-refresh'] ? { fullRefresh: true } : {}),
        },
        flags.cron,
        flags.id ?? config.id,
      );
      if (flags.json) this.out(JSON.stringify({ status: 'scheduled', ...schedule }));
      else
        this.out(
          `schedule ${schedule.id}: ${schedule.pipeline} at "${schedule.cron}"${schedule.next ? `, next ${formatTime(schedule.next)} UTC` : ''}`,
        );
    } finally {
      await executor.close();
    }
  }
}
