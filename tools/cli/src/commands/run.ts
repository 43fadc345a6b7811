import {
  createLogger,
  pipeline,
  pipelineFromConfig,
  secretValues,
  stringifyExactJson,
  tuneHeapForStreaming,
  type RunProgress,
  type RunSummary,
} from '@mage-int/core';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { InterruptedError } from '../cli-error.js';
import { jsonFlag, logLevelFlag, pipelineArg, stateDirFlag } from '../flags.js';
import { formatCount, formatDuration, formatRate } from '../output/format.js';
import { createProgressDisplay, resolveProgressMode } from '../output/progress-display.js';
import { streamStats } from '../output/stream-stats.js';
import { renderTable } from '../output/table.js';
import { assertConnectorsInstalled, loadPipeline } from '../pipeline/load-pipeline.js';
import { onInterrupt } from '../pipeline/interrupt.js';

export default class Run extends BaseCommand {
  static override summary = "Run a pipeline: sync the source's selected streams into the destination.";

  static override description =
    `Loads the pipeline file (interpolating \${ENV_VAR}s), checks both connector configs, discovers the source, \
applies the file's stream choices, and syncs, resuming from the state saved by the last run.

The destination commits in batches and the state is saved only after each commit, so a run that fails, is \
interrupted (Ctrl-C) or is killed loses nothing: the next run resumes from the last committed state.

Progress goes to stderr: live per-stream rows and rows/s on a terminal, a plain line every few seconds otherwise. \
At the end a summary table (stream, rows, rows/s, elapsed) is printed, with where the state was saved.

Exit codes: 0 done, 1 the run failed, 2 the pipeline file, a config or the command line is wrong, 130 interrupted.`;

  static override examples = [
    { description: 'Run a pipeline', command: '<%= config.bin %> <%= command.id %> pipelines/orders.yaml' },
    {
      description: 'Sync only two streams, from scratch',
      command: '<%= config.bin %> <%= command.id %> pipelines/orders.yaml --streams orders,customers --full-refresh',
    },
    {
      description: 'Machine-readable summary (for schedulers and scripts)',
      command: '<%= config.bin %> <%= command.id %> pipelines/orders.yaml --json > summary.json',
    },
    {
      description: 'Stream changes (LOG_BASED) until Ctrl-C, each in the destination within a second',
      command: '<%= config.bin %> <%= command.id %> pipelines/orders.yaml --follow',
    },
    {
      description: 'Keep state somewhere else, skip per-record schema checks',
      command: '<%= config.bin %> <%= command.id %> pipelines/orders.yaml --state-dir /var/lib/mage-int --no-validate',
    },
  ];

  static override args = { pipeline: pipelineArg };

  static override flags = {
    streams: Flags.string({
      description: 'Sync only these streams (comma-separated stream names or tap_stream_ids); the others are left alone.',
      multiple: true,
      multipleNonGreedy: true,
      delimiter: ',',
      helpValue: '<a,b>',
    }),
    'full-refresh': Flags.boolean({ description: 'Ignore the saved bookmarks of the streams being synced and sync them from the start.' }),
    follow: Flags.boolean({
      description:
        "Follow mode: LOG_BASED streams keep streaming changes until stopped (Ctrl-C), each committed within the file's max_lag_seconds (default 0.5). Same as follow: true in the file.",
    }),
    json: jsonFlag,
    'state-dir': stateDirFlag,
    validate: Flags.boolean({
      allowNo: true,
      description:
        "Check every record against its stream schema (default: the file's options.validate_records; else on, except for sources typed by their storage such as postgres). --no-validate is faster for trusted sources.",
    }),
    progress: Flags.option({
      options: ['auto', 'live', 'plain', 'none'] as const,
      default: 'auto' as const,
      description: 'Progress on stderr: live redraws on a terminal, plain periodic lines otherwise (auto), or none.',
    })(),
    'progress-interval': Flags.integer({
      description: 'Seconds between plain progress lines.',
      default: 5,
      min: 1,
      helpValue: '<seconds>',
    }),
    'log-level': logLevelFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Run);
    this.jsonOutput = flags.json;
    // A run holds a few batches at a time: keep V8 from sizing its heap for far more.
    tuneHeapForStreaming();
    const config = await loadPipeline(args.pipeline, { stateDir: flags['state-dir'] });
    await assertConnectorsInstalled(config);
    const built = await pipelineFromConfig(config);
    const { definition } = built;
    this.secrets = [
      ...secretValues(definition.source.connector.spec, definition.source.config, config.source.interpolated),
      ...secretValues(definition.destination.connector.spec, definition.destination.config, config.destination.interpolated),
    ];
    const runnable = flags.validate === undefined ? built : pipeline({ ...definition, validateRecords: flags.validate });
    const stateLocation = definition.stateStore?.describe(config.id) ?? 'memory';

    const display = createProgressDisplay({
      mode: resolveProgressMode(flags.progress),
      title: config.id,
      intervalSeconds: flags['progress-interval'],
    });
    const logger = createLogger({ level: flags['log-level'], secrets: this.secrets, write: (line) => display.log(line) });
    const interrupt = onInterrupt((message) => display.log(message));
    let latest: RunProgress | undefined;
    let summary: RunSummary;
    try {
      summary = await runnable.run({
        only: flags.streams,
        fullRefresh: flags['full-refresh'],
        ...(flags.follow ? { follow: true } : {}),
        logger,
        signal: interrupt.signal,
        onProgress: (progress) => {
          latest = progress;
          display.update(progress);
        },
        onDiscoverProgress: (progress) => display.discovering(progress),
      });
    } catch (error) {
      display.stop();
      const kept =
        latest && latest.committedStates > 0
          ? `the state of the last commit is saved in ${stateLocation}`
          : `the saved state (${stateLocation}) was not changed`;
      if (interrupt.interrupted) throw new InterruptedError('run interrupted', `${kept}; run again to resume`);
      if (latest) this.note(`note: ${kept}; the next run resumes from it`);
      throw error;
    } finally {
      display.stop();
      interrupt.dispose();
    }

    const stats = streamStats(summary, summary.finishedAt);
    const totalRows = stats.reduce((sum, s) => sum + s.rows, 0);
    const elapsedMs = summary.finishedAt - summary.startedAt;
    if (flags.json) {
      this.out(
        stringifyExactJson({
          status: 'ok',
          pipeline: summary.pipelineId,
          streams: stats.map((s) => ({
            stream: s.stream,
            rows: s.rows,
            rowsPerSecond: s.elapsedMs > 0 ? Math.round(s.rows / (s.elapsedMs / 1000)) : null,
            elapsedMs: s.elapsedMs,
          })),
          totalRows,
          elapsedMs,
          committedStates: summary.committedStates,
          stateLocation,
          state: summary.state,
        }),
      );
      return;
    }
    if (stats.length === 0) this.out('no records were synced');
    else {
      this.out(
        renderTable(
          [
            { header: 'STREAM' },
            { header: 'ROWS', align: 'right' },
            { header: 'ROWS/S', align: 'right' },
            { header: 'ELAPSED', align: 'right' },
          ],
          stats.map((s) => [s.stream, formatCount(s.rows), formatRate(s.rows, s.elapsedMs), formatDuration(s.elapsedMs)]),
          stats.length > 1
            ? { footer: ['total', formatCount(totalRows), formatRate(totalRows, elapsedMs), formatDuration(elapsedMs)] }
            : {},
        ),
      );
    }
    this.out(
      summary.committedStates > 0
        ? `state saved to ${stateLocation} (${summary.committedStates} commit${summary.committedStates === 1 ? '' : 's'}); done in ${formatDuration(elapsedMs)}`
        : `no state to save (the destination committed nothing); done in ${formatDuration(elapsedMs)}`,
    );
  }
}
