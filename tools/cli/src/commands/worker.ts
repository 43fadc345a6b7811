import { startWorker } from '@mage-int/executor-bullmq';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { logLevelFlag } from '../flags.js';
import { queueFlags } from '../queue-flags.js';

export default class Worker extends BaseCommand {
  static override summary = 'Run a worker: take submitted and scheduled pipeline runs from the Redis queue and run them.';

  static override description = `Start as many workers as you like, on as many machines: each takes jobs from the queue. A run \
(\`mage-int submit\`, \`mage-int schedule\`) is a parent job that a worker plans into tasks — with \`state.backend: postgres\` \
one per stream, all LOG_BASED streams in one — which any worker takes. A failed task is retried with backoff (5 attempts); \
a task of a worker that died is retried by another after --lock-seconds.

Jobs carry the pipeline file's path and the run's options, never config values: the worker loads the file (the path must \
exist on its machine) and resolves \${ENV_VAR}s from its own environment, so secrets stay on the workers.

SIGTERM or Ctrl-C stops taking jobs; running jobs may finish within three quarters of --grace-seconds (at most all but 2 s \
of it), then the ones \
still running are stopped and handed back to the queue (their committed state is kept; another worker continues from it, \
no attempt used), and the worker exits within the grace period. LOG_BASED tasks (follow mode never finishes) are handed \
back at once. A second signal exits at once. See docs/scale-out.md.`;

  static override examples = [
    { description: 'A worker on the local Redis', command: '<%= config.bin %> <%= command.id %>' },
    {
      description: 'Four runs at once, on a shared Redis',
      command: 'PGPASSWORD=… <%= config.bin %> <%= command.id %> --redis redis://queue.internal:6379 --concurrency 4',
    },
  ];

  static override flags = {
    ...queueFlags,
    concurrency: Flags.integer({ description: 'Jobs this worker runs at once.', default: 1, min: 1, helpValue: '<n>' }),
    'lock-seconds': Flags.integer({
      description:
        'Seconds before a job of a worker that stopped renewing its lock (killed, its machine gone) is retried by another; live workers renew every half of it.',
      default: 30,
      min: 1,
      helpValue: '<seconds>',
    }),
    'grace-seconds': Flags.integer({
      description:
        'On SIGTERM/Ctrl-C: how long running jobs may take to finish or be handed back before the worker exits (set your orchestrator’s kill timeout above it).',
      default: 20,
      min: 0,
      helpValue: '<seconds>',
    }),
    'log-level': logLevelFlag,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Worker);
    const worker = await startWorker({
      ...(flags.redis ? { redis: flags.redis } : {}),
      prefix: flags.prefix,
      queue: flags.queue,
      concurrency: flags.concurrency,
      lockSeconds: flags['lock-seconds'],
      ...(flags['log-level'] ? { logLevel: flags['log-level'] } : {}),
    });
    await new Promise<void>((resolve) => {
      let stopping = false;
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) process.exit(130);
        stopping = true;
        this.note(
          `${signal}: stopping worker ${worker.name} (running jobs finish or are handed back within ${flags['grace-seconds']} s; again to exit now)`,
        );
        // Whatever a connector does on abort, the worker is gone when the grace period ends.
        setTimeout(() => {
          this.note(`grace period of ${flags['grace-seconds']} s over: exiting`);
          process.exit(1);
        }, flags['grace-seconds'] * 1000).unref();
        void worker.close({ graceSeconds: flags['grace-seconds'] }).then(resolve, resolve);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
  }
}
