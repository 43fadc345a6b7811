import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { FileStateStore, parseExactJson, runPipeline, silentLogger, type Catalog, type Destination, type Source } from '@mage-int/core';

/** How a pipeline child process ended, and everything it printed (stdout and stderr). */
export interface PipelineChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/**
 * Runs `node script ...args` from `cwd`. With `killAfterCommits`, SIGKILLs the child once it printed
 * `committed N` with N ≥ that (the line `crashablePipeline` prints per committed state): a crash between a read and
 * its commit, as a killed `mage-int run` would have.
 */
export function runPipelineChild(
  script: string,
  args: readonly string[],
  options: { cwd?: string; killAfterCommits?: number } = {},
): Promise<PipelineChildRun> {
  const { cwd, killAfterCommits } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const commits = [...output.matchAll(/committed (\d+)/g)].map((m) => Number(m[1]));
      if (killAfterCommits !== undefined && commits.some((c) => c >= killAfterCommits) && child.exitCode === null) child.kill('SIGKILL');
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, output }));
  });
}

/** What a crashable pipeline fixture runs: its source and destination, the latter's config from the target argument. */
export interface CrashablePipeline {
  pipelineId: string;
  source: Source<never>;
  destination: Destination<never>;
  destinationConfig(target: string): Record<string, unknown>;
}

/**
 * The body of a fixture script `runPipelineChild` starts: one run with a file state store, printing `committed N`
 * per committed state and `done N` at the end. Its arguments: `<source-config.json> <catalog.json> <target> <state dir>`.
 */
export async function crashablePipeline(pipeline: CrashablePipeline, argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  const [configPath = '', catalogPath = '', target = '', stateDir = ''] = argv;
  const summary = await runPipeline({
    pipelineId: pipeline.pipelineId,
    source: pipeline.source,
    sourceConfig: parseExactJson(readFileSync(configPath, 'utf8')),
    destination: pipeline.destination,
    destinationConfig: pipeline.destinationConfig(target),
    catalog: parseExactJson(readFileSync(catalogPath, 'utf8')) as Catalog,
    stateStore: new FileStateStore(stateDir),
    logger: silentLogger,
    onProgress: (p) => process.stdout.write(`committed ${p.committedStates}\n`),
  });
  process.stdout.write(`done ${summary.committedStates}\n`);
}
