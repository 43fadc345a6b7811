/**
 * Reads ahead while the consumer works, so a source and a destination overlap in time. The queue holds items
 * until their total `weigh`t reaches `capacity` (at least one item always fits), which bounds memory; when
 * the consumer stops early the source is returned (closed) as well. An error from the source reaches the
 * consumer after the items read before it.
 */
export async function* prefetch<T>(source: AsyncIterable<T>, capacity: number, weigh: (item: T) => number = () => 1): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const queue: T[] = [];
  let queued = 0;
  let finished = false;
  let failure: { error: unknown } | undefined;
  let stopped = false;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;

  const pump = (async () => {
    try {
      while (!stopped) {
        if (queue.length > 0 && queued >= capacity) {
          await new Promise<void>((resolve) => (wakeProducer = resolve));
          continue;
        }
        const next = await iterator.next();
        if (next.done) break;
        queue.push(next.value);
        queued += weigh(next.value);
        wakeConsumer?.();
      }
    } catch (error) {
      failure = { error };
    } finally {
      finished = true;
      wakeConsumer?.();
    }
  })();

  try {
    for (;;) {
      if (queue.length > 0) {
        const item = queue.shift() as T;
        queued -= weigh(item);
        wakeProducer?.();
        yield item;
        continue;
      }
      if (failure) throw failure.error;
      if (finished) return;
      await new Promise<void>((resolve) => (wakeConsumer = resolve));
      wakeConsumer = undefined;
    }
  } finally {
    stopped = true;
    wakeProducer?.();
    if (!finished) {
      // The pump may be inside iterator.next(); return() queues behind it. Sources also watch ctx.signal.
      iterator.return?.().catch(() => {});
    } else {
      await pump;
    }
  }
}
