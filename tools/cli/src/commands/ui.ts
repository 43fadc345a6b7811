import { startUi } from '@mage-int/ui';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { onInterrupt } from '../pipeline/interrupt.js';
import { executorFor, queueFlags } from '../queue-flags.js';

export default class Ui extends BaseCommand {
  static override summary = 'Start the local web UI: pipelines, streams, runs with live progress, history and state.';

  static override description = `Serves a web app on 127.0.0.1 over the project's pipeline files (pipelines/*.yaml) and their \
.mage-int/ state, the same ones the other commands use: no second database. Pipelines the UI creates or edits are \
ordinary YAML files; secrets typed into it go to .mage-int/secrets.env (mode 600) and are referenced as \${VAR}.

The address printed carries an access token made for this start; every API call must present it. Runs started from \
the UI run in this process and are cancelled when it stops (Ctrl-C); their records are kept in .mage-int/runs/.

With --executor bullmq the UI also shows the runs of the Redis queue's workers (\`mage-int submit\`, \`schedule\`, or \
submitted from the UI with "Submit to workers") in each pipeline's run list and history, with their live status and \
per-stream phases; workers write their run records to the same .mage-int/runs/ (when they run on this machine or share \
its files), so history is one store.`;

  static override examples = [
    { description: 'Start the UI for the project in the working directory', command: '<%= config.bin %> <%= command.id %>' },
    {
      description: 'On a fixed port, for another project',
      command: '<%= config.bin %> <%= command.id %> --port 4400 --project ~/shop-sync',
    },
    {
      description: "With the Redis queue's workers: their runs show in the UI, and runs can be submitted to them",
      command: '<%= config.bin %> <%= command.id %> --executor bullmq --redis redis://127.0.0.1:6379',
    },
  ];

  static override flags = {
    port: Flags.integer({ description: 'Port to listen on (127.0.0.1 only); 0 picks a free one.', default: 0, min: 0, max: 65535 }),
    project: Flags.string({ description: 'Project directory (holding pipelines/); default: the working directory.', helpValue: '<dir>' }),
    executor: Flags.option({
      options: ['in-process', 'bullmq'] as const,
      default: 'in-process' as const,
      description: 'Where runs can go besides this process: bullmq also lists the Redis queue\'s runs and offers "Submit to workers".',
    })(),
    ...queueFlags,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Ui);
    const server = await startUi({
      projectDir: flags.project,
      port: flags.port,
      ...(flags.executor === 'bullmq' ? { executor: executorFor(flags) } : {}),
    });
    this.out(`mage-int UI: ${server.url}`);
    this.note("open the address above (it carries this start's access token); Ctrl-C stops the UI and cancels its runs");
    const interrupt = onInterrupt((message) => this.note(message));
    await new Promise<void>((resolve) => interrupt.signal.addEventListener('abort', () => resolve(), { once: true }));
    await server.close();
    interrupt.dispose();
  }
}
