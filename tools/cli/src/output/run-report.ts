import type { Executor, RunInfo, RunTaskInfo } from '@mage-int/core';
import { formatTime } from '../queue-flags.js';
import { formatCount, formatDuration } from './format.js';
import { renderTable } from './table.js';

/** How long a run took, or has been going. */
export function runDuration(run: RunInfo): string {
  if (!run.startedAt) return '';
  return formatDuration((run.finishedAt ?? Date.now()) - run.startedAt);
}

/** A run and its tasks, for people. */
export function printRun(run: RunInfo, out: (line: string) => void): void {
  out(`run ${run.id}: ${run.status}, ${formatCount(run.rows)} rows${run.startedAt ? `, ${runDuration(run)}` : ''}`);
  out(
    `pipeline ${run.pipelineId ?? ''} (${run.pipeline}), submitted ${formatTime(run.submittedAt)}${run.schedule ? ` by schedule ${run.schedule}` : ''}`,
  );
  if (run.error) out(`error: ${run.error}`);
  if (run.tasks.length > 0) {
    out(
      renderTable(
        [
          { header: 'STREAMS' },
          { header: 'STATUS' },
          { header: 'ROWS', align: 'right' },
          { header: 'ATTEMPTS', align: 'right' },
          { header: 'WORKER' },
          { header: 'ERROR' },
        ],
        run.tasks.map((t) => [taskStreams(t), t.status, formatCount(t.rows), String(t.attempts), t.worker ?? '', t.error ?? '']),
      ),
    );
  }
}

/** `public-orders`, or `public-orders range 2/4` / `public-orders finalize` for a split stream. */
function taskStreams(task: RunTaskInfo): string {
  const range = task.keyRange;
  return task.streams.join(',') + (!range ? '' : range.finalize ? ' finalize' : ` range ${range.index}/${range.count}`);
}

const FINISHED = new Set(['completed', 'failed', 'cancelled']);

/** Polls until the run has finished. */
export async function waitForRun(executor: Executor, id: string, pollMs = 500): Promise<RunInfo> {
  for (;;) {
    const run = await executor.run(id);
    if (run && FINISHED.has(run.status)) return run;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
