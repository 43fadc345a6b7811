import { fstatSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

/**
 * The worker: reads the stdin pipe on an event loop of its own and holds what it read until the main thread asks
 * for more (`'more'`), then posts all of it as one chunk; with nothing held it posts the next read as soon as it
 * arrives. Reading pauses while `limit` bytes are held. One message each way per time the main thread runs dry,
 * not one per pipe read (a pipe read is often a few KB, and a message costs the main thread tens of µs).
 */
const READER = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
let held = [];
let heldBytes = 0;
let wanted = true;
let ended = false;
const input = new net.Socket({ fd: 0, readable: true, writable: false });
function send() {
  const chunk = new Uint8Array(heldBytes);
  let at = 0;
  for (const part of held) {
    chunk.set(part, at);
    at += part.length;
  }
  held = [];
  heldBytes = 0;
  wanted = false;
  parentPort.postMessage(chunk, [chunk.buffer]);
  if (input.isPaused() && !ended) input.resume();
}
input.on('data', (part) => {
  held.push(part);
  heldBytes += part.length;
  if (wanted) send();
  else if (heldBytes >= workerData.limit) input.pause();
});
input.on('end', () => {
  ended = true;
  if (heldBytes > 0) send();
  parentPort.postMessage('end');
});
input.on('error', (error) => parentPort.postMessage({ error: error.message }));
parentPort.on('message', () => {
  if (heldBytes > 0) send();
  else wanted = true;
});
`;

/**
 * Standard input as chunks. When it is a pipe, a worker thread reads it: a Singer target's main thread is
 * busy parsing most of the time and would empty a 64 KB pipe only between chunks, leaving the tap blocked on
 * a full pipe while it could be encoding. Reading on a thread of its own keeps the pipe drained (two Singer
 * processes ran ~14% faster end to end); at most `limit` bytes (plus one pipe read) wait in memory. Files and terminals are read
 * as usual.
 */
export async function* readStdin(limit = 1024 * 1024): AsyncGenerator<Buffer> {
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
  const worker = new Worker(READER, { eval: true, workerData: { limit } });
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
  worker.on('message', (message: Uint8Array | 'end' | { error: string }) => {
    if (message === 'end') ended = true;
    else if (message instanceof Uint8Array) {
      asked = false;
      chunks.push(Buffer.from(message.buffer, message.byteOffset, message.byteLength));
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
