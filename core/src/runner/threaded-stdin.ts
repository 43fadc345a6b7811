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
/** Scanned whole lines: their bytes and marks. */
let ready = [];
let readyBytes = 0;
/** The start of a line whose newline has not come yet. */
let tail = [];
let tailBytes = 0;
let wanted = true;
let ended = false;
const input = new net.Socket({ fd: 0, readable: true, writable: false });
/** Posts what is ready; false when nothing is (a line still being read). */
function send() {
  const raw = tailBytes > 0 && (ended || tailBytes >= workerData.limit);
  if (readyBytes === 0 && !raw) return false;
  const chunk = new Uint8Array(readyBytes + (raw ? tailBytes : 0));
  let at = 0;
  for (const { bytes } of ready) {
    chunk.set(bytes, at);
    at += bytes.length;
  }
  const marks = workerData.scan ? new Uint8Array(ready.reduce((n, r) => n + r.marks.length, 0)) : undefined;
  let line = 0;
  for (const r of marks ? ready : []) {
    marks.set(r.marks, line);
    line += r.marks.length;
  }
  if (raw) {
    for (const part of tail) {
      chunk.set(part, at);
      at += part.length;
    }
    tail = [];
    tailBytes = 0;
  }
  ready = [];
  readyBytes = 0;
  wanted = false;
  if (raw || !marks) parentPort.postMessage({ chunk }, [chunk.buffer]);
  else parentPort.postMessage({ chunk, marks }, [chunk.buffer, marks.buffer]);
  if (input.isPaused() && !ended) input.resume();
  return true;
}
input.on('data', (part) => {
  const last = part.lastIndexOf(10);
  if (last < 0) {
    tail.push(part);
    tailBytes += part.length;
  } else {
    const lines = tailBytes > 0 ? Buffer.concat([...tail, part.subarray(0, last + 1)]) : part.subarray(0, last + 1);
    ready.push({ bytes: lines, marks: workerData.scan ? inexactLines(lines, literalFitsDouble) : undefined });
    readyBytes += lines.length;
    tail = last + 1 < part.length ? [part.subarray(last + 1)] : [];
    tailBytes = part.length - last - 1;
  }
  if (wanted) send();
  if (readyBytes + tailBytes >= workerData.limit) input.pause();
});
input.on('end', () => {
  ended = true;
  if (readyBytes > 0 || tailBytes > 0) send();
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
