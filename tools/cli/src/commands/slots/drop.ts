import { createInterface } from 'node:readline/promises';
import { ConfigError, createLogger } from '@mage-int/core';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { jsonFlag, logLevelFlag, pipelineArg } from '../../flags.js';
import { onInterrupt } from '../../pipeline/interrupt.js';
import { formatBytes, openPipelineSource } from '../../pipeline/pipeline-source.js';

export default class SlotsDrop extends BaseCommand {
  static override summary = "Drop a pipeline's replication slot, so the server stops keeping WAL for it.";

  static override description = `Drops the log slot the pipeline holds on its source's server (PostgreSQL: its replication slot, \
and its publication when that has the pipeline's default name). Use it for a pipeline you retired, or whose slot holds \
too much WAL. Changes made while the slot is gone are not kept: the pipeline's next run needs --full-refresh for its \
LOG_BASED streams (a new slot and snapshot).

Asks for confirmation on a terminal; --yes skips the question (needed when not on a terminal).`;

  static override examples = [
    { description: 'Drop after confirming', command: '<%= config.bin %> <%= command.id %> pipelines/orders.yaml' },
    { description: 'In a script', command: '<%= config.bin %> <%= command.id %> pipelines/orders.yaml --yes' },
  ];

  static override args = { pipeline: pipelineArg };
  static override flags = {
    yes: Flags.boolean({ char: 'y', description: 'Drop without asking.' }),
    json: jsonFlag,
    'log-level': logLevelFlag,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SlotsDrop);
    this.jsonOutput = flags.json;
    const interrupt = onInterrupt((message) => this.note(message));
    try {
      const opened = await openPipelineSource(
        args.pipeline,
        createLogger({ level: flags['log-level'] ?? 'warn', secrets: this.secrets }),
        interrupt.signal,
      );
      this.secrets.push(...opened.secrets);
      const operations = opened.connector.operations;
      if (!operations?.listSlots || !operations.dropSlots) {
        throw new ConfigError('SLOTS_UNSUPPORTED', `source ${opened.connector.name} of pipeline ${opened.id} keeps no log slots`, {
          hint: 'nothing to drop',
        });
      }
      const slots = (await operations.listSlots(opened.config, opened.state, opened.ctx)).filter((s) => !s.leftover);
      if (slots.length === 0) {
        if (flags.json) this.out(JSON.stringify({ status: 'ok', pipeline: opened.id, dropped: [] }));
        else this.out(`pipeline ${opened.id} holds no replication slot`);
        return;
      }
      if (!flags.yes) {
        if (!process.stdin.isTTY || !process.stderr.isTTY || flags.json) {
          throw new ConfigError('CONFIRMATION_NEEDED', `dropping the slot of pipeline ${opened.id} needs confirmation`, {
            hint: 'add --yes to drop it without asking',
          });
        }
        const what = slots
          .map(
            (s) => `${s.name} (${s.location}${s.retainedBytes === undefined ? '' : `, retaining ${formatBytes(s.retainedBytes)} of WAL`})`,
          )
          .join(', ');
        const notes = slots.flatMap((s) => (s.note ? [`note: ${s.note}\n`] : [])).join('');
        const rl = createInterface({ input: process.stdin, output: process.stderr });
        const answer = await rl.question(
          `${notes}Drop ${what} of pipeline ${opened.id}? Its next run will need --full-refresh for its LOG_BASED streams. [y/N] `,
        );
        rl.close();
        if (!/^y(es)?$/i.test(answer.trim())) {
          this.note('nothing dropped');
          return;
        }
      }
      const dropped = await operations.dropSlots(opened.config, opened.state, opened.ctx);
      if (flags.json) this.out(JSON.stringify({ status: 'ok', pipeline: opened.id, dropped }));
      else {
        this.out(`dropped ${dropped.join(', ')}`);
        this.note(
          `the next run of ${args.pipeline} needs --full-refresh for its LOG_BASED streams (mage-int run ${args.pipeline} --full-refresh)`,
        );
      }
    } finally {
      interrupt.dispose();
    }
  }
}
