import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { jsonFlag, pipelineArg } from '../flags.js';
import { loadPipelineForState } from '../pipeline/load-pipeline.js';
import { executorFor, queueFlags } from '../queue-flags.js';
import { printRun, waitForRun } from '../output/run-report.js';

export default class Submit extends BaseCommand {
  static override summary = 'Queue a run of a pipeline for the workers (`mage-int worker`); prints its run id.';

  static override description = `The job holds the pipeline file's absolute path and the options given here — never config values or \
secrets: a worker opens the file at that path on its own machine and resolves \${ENV_VAR}s from its own environment. \
Follow it with \`mage-int runs <id>\`; --wait waits for the end and exits 1 when the run failed.`;

  static override examples = [
    { description: 'Queue a run', command: '<%= config.bin %> <%= command.id %> pipelines/orders.yaml' },
    {
      description: 'Queue two streams from scratch and wait for the result',
      command: '<%= config.bin %> <%= command.id %> pipelines/orders.yaml --streams orders,customers --full-refresh --wait',
    },
  ];

  static override args = { pipeline: pipelineArg };

  static override flags = {
    ...queueFlags,
    streams: Flags.string({
      description: 'Sync only these streams (comma-separated).',
      multiple: true,
      multipleNonGreedy: true,
      delimiter: ',',
      helpValue: '<a,b>',
    }),
    'full-refresh': Flags.boolean({ description: 'Ignore the saved bookmarks of the streams synced.' }),
    wait: Flags.boolean({ description: 'Wait until the run has finished and print its result (exit 1 when it failed).' }),
    json: jsonFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Submit);
    this.jsonOutput = flags.json;
    // Only to fail early on a file that is not a pipeline: the variables its configs use need not be set here.
    await loadPipelineForState(args.pipeline);
    const executor = executorFor(flags);
    try {
      const { id } = await executor.submit({
        pipeline: args.pipeline,
        ...(flags.streams ? { streams: flags.streams } : {}),
        ...(flags['full-refresh'] ? { fullRefresh: true } : {}),
      });
      if (!flags.wait) {
        this.out(flags.json ? JSON.stringify({ status: 'queued', id }) : id);
        return;
      }
      this.note(`run ${id} queued; waiting for it to finish`);
      const run = await waitForRun(executor, id);
      if (flags.json) this.out(JSON.stringify(run));
      else printRun(run, (line) => this.out(line));
      if (run.status !== 'completed') this.exit(1);
    } finally {
      await executor.close();
    }
  }
}
