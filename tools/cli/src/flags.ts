import { Args, Flags } from '@oclif/core';

/** Flags and args several commands share, so they read the same everywhere. */
export const pipelineArg = Args.string({
  name: 'pipeline',
  required: true,
  description: 'Pipeline file (YAML or JSON), e.g. pipelines/orders.yaml',
});

export const stateDirFlag = Flags.string({
  description: "Directory of the pipeline's state file, overriding `state.path` in the file (relative to the working directory).",
  helpValue: '<dir>',
});

export const jsonFlag = Flags.boolean({ description: 'Print a machine-readable JSON result on stdout (errors too).' });

export const logLevelFlag = Flags.option({
  options: ['debug', 'info', 'warn', 'error'] as const,
  description: 'Connector log level (default: MAGE_INT_LOG_LEVEL or info). Logs go to stderr.',
})();
