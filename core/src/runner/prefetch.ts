/**
 * Reads ahead up to `capacity` items from `source` while the consumer works, so a source and a destination
 * overlap in time. Memory stays bounded by `capacity`; when the consumer stops early the source is
 * returned (closed) as well. An error from the source reaches the consumer after the items read before it.
 */
export async function* prefetch<T>(source: AsyncIterable<T>, capacity: number): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const queue: T[] = [];
  let finished = false;
  let failure: { error: unknown } | undefined;
  let stopped = false;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;

  const pump = (async () => {
    try {
      while (!stopped) {
        if (queue.length >= capacity) {
          await new Promise<void>((resolve) => (wakeProducer = resolve));
          continue;
        }
        const next = await iterator.next();
        if (next.done) break;
        queue.push(next.value);
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
