import { InterruptedError } from '../cli-error.js';

export interface Interrupt {
  signal: AbortSignal;
  /** Whether Ctrl-C was pressed. */
  readonly interrupted: boolean;
  dispose(): void;
}

/**
 * Turns the first Ctrl-C (SIGINT, or SIGTERM) into an abort of `signal`, so connectors stop and release their
 * connections; a second one, or a run that does not stop within `graceMs`, exits at once (state on disk is
 * always a committed one, so that is as safe as a crash).
 */
export function onInterrupt(notify: (message: string) => void, graceMs = 15_000): Interrupt {
  const controller = new AbortController();
  let interrupted = false;
  let force: NodeJS.Timeout | undefined;
  const handler = (signal: NodeJS.Signals) => {
    if (interrupted) {
      notify(`${signal} again: exiting now`);
      process.exit(130);
    }
    interrupted = true;
    notify(`${signal === 'SIGINT' ? 'Ctrl-C' : signal}: stopping (the last committed state is kept; press Ctrl-C again to exit now)`);
    controller.abort(new InterruptedError(`interrupted by ${signal === 'SIGINT' ? 'Ctrl-C' : signal}`));
    force = setTimeout(() => {
      notify(`still running ${graceMs / 1000}s after ${signal}: exiting now`);
      process.exit(130);
    }, graceMs);
    force.unref();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    get interrupted() {
      return interrupted;
    },
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
      if (force) clearTimeout(force);
    },
  };
}
