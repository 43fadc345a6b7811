// Wall time, peak RSS and CPU seconds of benchmark child processes, shared by the benches under bench/: each bench
// runs its baseline and mage-int in processes of their own, so a process's peak RSS is its side's alone.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Exits 2 unless every built file is there: the benches run the packages' dist/, not their sources. */
export function requireBuilt(files) {
  for (const file of files) {
    if (!existsSync(file)) {
      console.error(`${file} is missing: run \`npm run build\` first`);
      process.exit(2);
    }
  }
}

/**
 * Runs a command; resolves with its wall seconds and stdout. With `rssDir`, the command runs under GNU time (its report
 * goes to a file there) and the result also has its peak RSS in MB and its CPU seconds (%M, %U + %S). With
 * `stderr: 'pipe'` the child's stderr is kept (`err`, and the tail of it in the error when it fails) instead of shown.
 */
export function timed(command, argv, { rssDir, stderr = 'inherit', ...options } = {}) {
  const rssFile = rssDir ? join(rssDir, `rss-${Math.random().toString(36).slice(2)}`) : undefined;
  const [file, args] = rssFile ? ['/usr/bin/time', ['-f', '%M %U %S', '-o', rssFile, command, ...argv]] : [command, argv];
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', stderr], ...options });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr?.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${command} ${argv.join(' ')} exited ${code}${err ? `\n${err.slice(-2000)}` : ''}`));
      const result = { seconds: (performance.now() - started) / 1000, out, err };
      if (rssFile) {
        const [kb, user, system] = readFileSync(rssFile, 'utf8').trim().split('\n').at(-1).split(' ').map(Number);
        Object.assign(result, { rssMb: kb / 1024, cpuSeconds: user + system });
      }
      resolve(result);
    });
  });
}

/** `/usr/bin/time -f %M -o file`: a shell-pipeline prefix whose report `peakRssMb(file)` reads. */
export function timePrefix(file) {
  return `/usr/bin/time -f %M -o ${file}`;
}

/** The peak RSS in MB GNU time wrote to `file` (its %M, in KB, first on the last line). */
export function peakRssMb(file) {
  return Number(readFileSync(file, 'utf8').trim().split('\n').at(-1).split(' ')[0]) / 1024;
}

/**
 * Runs this bench script again in a child process (`script` is its import.meta.url) with `argv`, from the repository
 * root (`nodeArgs` go to node before the script); resolves with `timed`'s result and `result`, the JSON of the child's
 * last stdout line (what `pipelineChild` prints).
 */
export async function runChild(script, argv, { nodeArgs = [], ...options } = {}) {
  const run = await timed(process.execPath, [...nodeArgs, fileURLToPath(script), ...argv], { cwd: ROOT, ...options });
  const last = run.out.trim().split('\n').at(-1);
  return { ...run, result: last ? JSON.parse(last) : undefined };
}

/**
 * The child side of `runChild`: runPipeline with the options `build` returns (after tuning the heap as `mage-int run`
 * does), timed from the pipeline's start; prints `{ seconds, records, maxRssMb }` for `stream` and exits.
 */
export async function pipelineChild(stream, build) {
  const { runPipeline, silentLogger, tuneHeapForStreaming } = await import('@mage-int/core');
  tuneHeapForStreaming();
  const options = await build();
  const started = performance.now();
  const summary = await runPipeline({ logger: silentLogger, ...options });
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(
    JSON.stringify({ seconds, records: summary.streams[stream]?.records ?? 0, maxRssMb: process.resourceUsage().maxRSS / 1024 }) + '\n',
  );
  process.exit(0);
}
