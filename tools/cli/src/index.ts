/** @mage-int/cli — the `mage-int` command. Commands live in src/commands/ (one file each, extending BaseCommand). */
export { BaseCommand, debugRequested } from './base-command.js';
export { EXIT } from './exit-codes.js';
export { exitCodeOf, renderError, describeError, InterruptedError } from './cli-error.js';
export { pipelineArg, stateDirFlag, jsonFlag, logLevelFlag } from './flags.js';
export {
  loadPipeline,
  loadPipelineForState,
  resolvePipelineSource,
  resolvePipelineDestination,
  type ResolvedEnd,
} from './pipeline/load-pipeline.js';
export { onInterrupt, type Interrupt } from './pipeline/interrupt.js';
export { renderTable, type Column } from './output/table.js';
export { formatCount, formatDuration, formatRate } from './output/format.js';
