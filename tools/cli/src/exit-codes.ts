/** Process exit codes of `mage-int`, stable for scripts. */
export const EXIT = {
  ok: 0,
  /** A run or a check failed: a connector, the network, the data. */
  failure: 1,
  /** The command line, a pipeline file or a connector config is wrong: fix the input, retrying will not help. */
  usage: 2,
  /** Stopped by Ctrl-C (SIGINT); the last committed state is kept. */
  interrupted: 130,
} as const;
