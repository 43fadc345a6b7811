import { createLogger, formatError, redact, type LogSlot } from '@mage-int/core';
import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { exitCodeOf } from '../../cli-error.js';
import { EXIT } from '../../exit-codes.js';
import { jsonFlag, logLevelFlag } from '../../flags.js';
import { renderTable } from '../../output/table.js';
import { onInterrupt } from '../../pipeline/interrupt.js';
import { formatBytes, openPipelineSource, pipelineFiles } from '../../pipeline/pipeline-source.js';

interface Row extends LogSlot {
  pipeline: string;
}

export default class SlotsList extends BaseCommand {
  static override summary = "List the replication slots this project's pipelines hold, with the WAL each retains.";

  static override description = `For every pipeline file (by default those in ./pipelines), asks its source which log slots the \
pipeline holds on the server — for PostgreSQL its replication slot — and shows whether a run is reading it, how much \
WAL the server keeps for it, and when it was last read (when the server says: PostgreSQL 17+, or while active).

A slot nobody reads keeps WAL until the disk fills: run the pipeline, or drop the slot with \`mage-int slots drop\`. \
Sources without log slots are skipped.

Exit codes: 0 listed, 1 a pipeline's source could not be asked, 2 a pipeline file or config is wrong.`;

  static override examples = [
    { description: 'Slots of the pipelines in ./pipelines', command: '<%= config.bin %> <%= command.id %>' },
    {
      description: 'Of some pipelines, as JSON',
      command: '<%= config.bin %> <%= command.id %> pipelines/orders.yaml pipelines/shop.yaml --json',
    },
  ];

  static override strict = false;
  static override args = {
    pipelines: Args.string({ description: 'Pipeline files or directories of them (default: pipelines/)', required: false }),
  };
  static override flags = { json: jsonFlag, 'log-level': logLevelFlag };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(SlotsList);
    this.jsonOutput = flags.json;
    const files = pipelineFiles(argv as string[]);
    const interrupt = onInterrupt((message) => this.note(message));
    const rows: Row[] = [];
    const failures: { pipeline: string; message: string }[] = [];
    let worst: number = EXIT.ok;
    try {
      for (const file of files) {
        try {
          const opened = await openPipelineSource(
            file,
            createLogger({ level: flags['log-level'] ?? 'warn', secrets: this.secrets }),
            interrupt.signal,
          );
          this.secrets.push(...opened.secrets);
          const list = opened.connector.operations?.listSlots;
          if (!list) continue;
          for (const slot of await list(opened.config, opened.state, opened.ctx)) {
            // A slot several pipelines report (an older shared one) is one row.
            const same = rows.find((r) => r.name === slot.name && r.location === slot.location);
            if (same) same.pipeline = `${same.pipeline}, ${opened.id}`;
            else rows.push({ pipeline: opened.id, ...slot });
          }
        } catch (error) {
          if (interrupt.interrupted) throw error;
          const message = redact(formatError(error), this.secrets);
          failures.push({ pipeline: file, message });
          worst = Math.max(worst, exitCodeOf(error));
          this.note(`error: ${file}: ${message}`);
        }
      }
    } finally {
      interrupt.dispose();
    }
    if (flags.json) {
      this.out(JSON.stringify({ status: failures.length === 0 ? 'ok' : 'failed', slots: rows, failures }));
    } else if (rows.length === 0) {
      this.out(`no replication slots held by ${files.length} pipeline${files.length === 1 ? '' : 's'}`);
    } else {
      this.out(
        renderTable(
          [
            { header: 'PIPELINE' },
            { header: 'SLOT' },
            { header: 'DATABASE' },
            { header: 'ACTIVE' },
            { header: 'RETAINED WAL', align: 'right' },
            { header: 'LAST ACTIVITY' },
          ],
          rows.map((r) => [
            r.leftover ? '- (older default)' : r.pipeline,
            r.name,
            r.location,
            r.active ? 'yes' : 'no',
            r.retainedBytes === undefined ? '-' : formatBytes(r.retainedBytes),
            r.lastActivity ?? '-',
          ]),
        ),
      );
      for (const r of rows) if (r.note) this.out(`note: ${r.name}: ${r.note}`);
    }
    if (worst !== EXIT.ok) this.exit(worst);
  }
}
