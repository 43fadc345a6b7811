/** One conformance check: a name that reads as a behaviour, and a body that throws when it is not met. */
export interface ConformanceCheck<Context> {
  name: string;
  run(context: Context): Promise<void>;
}

/** Thrown by a check that does not apply to this connector (e.g. no incremental stream); reported as skipped. */
export class CheckSkipped extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'CheckSkipped';
  }
}

/** A failed expectation, with what was expected and what was found. */
export class ConformanceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConformanceError';
  }
}

/** Throws a ConformanceError when `condition` is false. */
export function expectThat(condition: unknown, message: string | (() => string)): asserts condition {
  if (!condition) throw new ConformanceError(typeof message === 'function' ? message() : message);
}

/** Result of running one check outside vitest (`mage-int test`). */
export interface CheckResult {
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  /** Why it failed or was skipped. */
  message?: string;
  durationMs: number;
}
