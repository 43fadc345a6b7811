import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { ConfigError } from '@mage-int/core';
import { jsonFlag } from '../../flags.js';
import { formatCount } from '../../output/format.js';
import { printRun, runDuration } from '../../output/run-report.js';
import { renderTable } from '../../output/table.js';
import { executorFor, formatTime, queueFlags } from '../../queue-flags.js';

export default class Runs extends BaseCommand {
  static override summary = 'List the runs in the queue (status, rows, duration, errors), or show one with its tasks.';

  static override description = `Newest first: waiting, running, completed, failed and cancelled runs (finished ones are kept for a week, \
at most 1,000). With a run id: the run's tasks (streams), each with its status, rows, attempts, worker and last error.`;

  static override examples = [
    { description: 'The latest runs', command: '<%= config.bin %> <%= command.id %>' },
    { description: 'One run and its tasks', command: '<%= config.bin %> <%= command.id %> 42' },
  ];

  static override args = { id: Args.string({ description: 'A run id: show that run and its tasks.' }) };

  static override flags = {
    ...queueFlags,
    limit: Flags.integer({ description: 'How many runs to list.', default: 20, min: 1, helpValue: '<n>' }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Runs);
    this.jsonOutput = flags.json;
    const executor = executorFor(flags);
    try {
      if (args.id !== undefined) {
        const run = await executor.run(args.id);
        if (!run)
          throw new ConfigError('RUN_NOT_FOUND', `no run ${args.id} in queue ${flags.prefix}:${flags.queue}`, {
            hint: 'list the runs with `mage-int runs`',
          });
        if (flags.json) this.out(JSON.stringify(run));
        else printRun(run, (line) => this.out(line));
        return;
      }
      const runs = await executor.runs({ limit: flags.limit });
      if (flags.json) {
        this.out(JSON.stringify(runs));
        return;
      }
      if (runs.length === 0) {
        this.out('no runs');
        return;
      }
      this.out(
        renderTable(
          [
            { header: 'ID' },
            { header: 'PIPELINE' },
            { header: 'STATUS' },
            { header: 'ROWS', align: 'right' },
            { header: 'DURATION', align: 'right' },
            { header: 'SUBMITTED' },
            { header: 'ERROR' },
          ],
          runs.map((r) => [
            r.id,
            r.pipelineId ?? r.pipeline,
            r.status,
            formatCount(r.rows),
            runDuration(r),
            formatTime(r.submittedAt),
            (r.error ?? r.tasks.find((t) => t.error)?.error ?? '').split('\n')[0]!,
          ]),
        ),
      );
    } finally {
      await executor.close();
    }
  }
}
