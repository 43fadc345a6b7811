import { BaseCommand } from '../../base-command.js';
import { jsonFlag } from '../../flags.js';
import { renderTable } from '../../output/table.js';
import { executorFor, formatTime, queueFlags } from '../../queue-flags.js';

export default class ScheduleList extends BaseCommand {
  static override summary = 'List the schedules in the queue: id, pipeline, cron pattern, next run.';

  static override flags = { ...queueFlags, json: jsonFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(ScheduleList);
    this.jsonOutput = flags.json;
    const executor = executorFor(flags);
    try {
      const schedules = await executor.schedules();
      if (flags.json) this.out(JSON.stringify(schedules));
      else if (schedules.length === 0) this.out('no schedules');
      else
        this.out(
          renderTable(
            [{ header: 'ID' }, { header: 'CRON' }, { header: 'NEXT (UTC)' }, { header: 'PIPELINE' }],
            schedules.map((s) => [s.id, s.cron, formatTime(s.next), s.pipeline]),
          ),
        );
    } finally {
      await executor.close();
    }
  }
}
