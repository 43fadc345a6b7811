import { fstatSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { inexactLines, literalFitsDouble } from '../protocol/exact-json.js';
import { withInexactLines } from '../protocol/reader.js';
import { checkYoungGeneration } from './streaming-heap.js';

/**
 * The worker: reads the stdin pipe on an event loop of its own and holds what it read until the main thread asks
 * for more (`'more'`), then posts all of it as one chunk; with nothing held it posts the next read as soon as it
 * arrives. Reading pauses while `limit` bytes are held. One message each way per time the main thread runs dry,
 * not one per pipe read (a pipe read is often a few KB, and a message costs the main thread tens of µs). The lines
 * of each read are scanned here as they arrive for number literals a double would not hold (`inexactLines`), while
 * the main thread parses: it then parses the other lines with JSON.parse alone (not with `scan` false: a target that
 * reads RECORD lines itself parses few lines). A chunk holds whole lines; the rest of a line waits for its newline,
 * unless the input ended or `limit` bytes hold none (sent unscanned then).
 */
const READER = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const literalFitsDouble = ${literalFitsDouble.toString()};
const inexactLines = ${inexactLines.toString()};
/**
 * What was read and not sent yet: whole lines up to \`lineEnd\`, then the start of a line. Reads land in one reused
 * buffer (\`onread\`) and are copied in here: a Buffer per read (net's default) stays allocated until this thread's
 * garbage collector runs, which, allocating little, it seldom does (a target's RSS was seen 35 MB higher).
 */
let held = Buffer.allocUnsafeSlow(workerData.limit + 65536);
let heldBytes = 0;
let lineEnd = 0;
/** The marks of the whole lines held, one array per read that completed lines. */
let marks = [];
let wanted = true;
let ended = false;
const input = new net.Socket({
  fd: 0,
  readable: true,
  writable: false,
  onread: { buffer: Buffer.allocUnsafeSlow(65536), callback: (nread, buffer) => received(buffer, nread) },
});
function received(buffer, nread) {
  if (heldBytes + nread > held.length) {
    const bigger = Buffer.allocUnsafeSlow(Math.max(2 * held.length, heldBytes + nread));
    held.copy(bigger, 0, 0, heldBytes);
    held = bigger;
  }
  buffer.copy(held, heldBytes, 0, nread);
  const from = heldBytes;
  heldBytes += nread;
  const last = held.lastIndexOf(10, heldBytes - 1);
  if (last >= from) {
    if (workerData.scan) marks.push(inexactLines(held.subarray(lineEnd, last + 1), literalFitsDouble));
    lineEnd = last + 1;
  }
  if (wanted) send();
  if (heldBytes >= workerData.limit) input.pause();
}
/** Posts what is ready; false when nothing is (a line still being read). */
function send() {
  const raw = heldBytes > lineEnd && (ended || heldBytes - lineEnd >= workerData.limit);
  const end = raw ? heldBytes : lineEnd;
  if (end === 0) return false;
  const chunk = new Uint8Array(end);
  chunk.set(held.subarray(0, end));
  held.copy(held, 0, end, heldBytes);
  heldBytes -= end;
  lineEnd = 0;
  wanted = false;
  if (raw || !workerData.scan) parentPort.postMessage({ chunk }, [chunk.buffer]);
  else {
    const all = new Uint8Array(marks.reduce((n, m) => n + m.length, 0));
    let line = 0;
    for (const m of marks) {
      all.set(m, line);
      line += m.length;
    }
    parentPort.postMessage({ chunk, marks: all }, [chunk.buffer, all.buffer]);
  }
  marks = [];
  if (input.isPaused() && !ended) input.resume();
  return true;
}
input.on('end', () => {
  ended = true;
  if (heldBytes > 0) send();
  parentPort.postMessage('end');
});
input.on('error', (error) => parentPort.postMessage({ error: error.message }));
parentPort.on('message', () => {
  if (!send()) wanted = true;
});
`;

/**
 * Standard input as chunks. When it is a pipe, a worker thread reads it: a Singer target's main thread is
 * busy parsing most of the time and would empty a 64 KB pipe only between chunks, leaving the tap blocked on
 * a full pipe while it could be encoding. Reading on a thread of its own keeps the pipe drained (two Singer
 * processes ran ~14% faster end to end); at most `limit` bytes (plus one pipe read) wait in memory. Files and terminals are read
 * as usual. `scan`: the lines are scanned for inexact numbers on the thread (see READER).
 */
export async function* readStdin(limit = 1024 * 1024, scan = true): AsyncGenerator<Buffer> {
  let piped = false;
  try {
    const stat = fstatSync(0);
    piped = stat.isFIFO() || stat.isSocket();
  } catch {
    // No usable fd 0 (closed): let process.stdin say what there is.
  }
  if (!piped) {
    yield* process.stdin as AsyncIterable<Buffer>;
    return;
  }
  const worker = new Worker(READER, { eval: true, workerData: { limit, scan } });
  worker.unref();
  const chunks: Buffer[] = [];
  let ended = false;
  /** 'more' was posted and no chunk has come since: the worker sends as soon as it has bytes. */
  let asked = true;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  worker.on('message', (message: { chunk: Uint8Array; marks?: Uint8Array } | 'end' | { error: string }) => {
    if (message === 'end') ended = true;
    else if ('chunk' in message) {
      asked = false;
      const { chunk, marks } = message;
      const buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      chunks.push(marks ? withInexactLines(buffer, marks) : buffer);
    } else failure = new Error(`reading standard input failed: ${message.error}`);
    notify();
  });
  worker.on('error', (error) => {
    failure = error;
    notify();
  });
  try {
    for (;;) {
      const chunk = chunks.shift();
      if (chunk) {
        checkYoungGeneration();
        yield chunk;
        continue;
      }
      if (failure) throw failure;
      if (ended) return;
      if (!asked) {
        asked = true;
        worker.postMessage('more');
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    void worker.terminate();
  }
}
