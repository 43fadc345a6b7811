import { describe, expect, it } from 'vitest';
import { prefetch } from '../src/runner/prefetch.js';

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 5));

/** A source of `n` items that counts how many were pulled, each after `delay` ms. */
function counted(n: number, delay = 0) {
  const state = { pulled: 0 };
  async function* source() {
    for (let i = 0; i < n; i++) {
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      state.pulled++;
      yield i;
    }
  }
  return { state, source: source() };
}

describe('prefetch', () => {
  it('reads one item ahead of a consumer slower than its source, and delivers every item in order', async () => {
    const { state, source } = counted(50);
    const seen: number[] = [];
    const ahead: number[] = [];
    for await (const item of prefetch(source, 20)) {
      await tick(); // the consumer's own wait (a database), during which the source may run
      ahead.push(state.pulled - item - 1);
      seen.push(item);
    }
    expect(seen).toEqual(Array.from({ length: 50 }, (_, i) => i));
    // It filled up while the consumer waited for the first item; once that is drained, one item queued at most.
    expect(Math.max(...ahead.slice(25))).toBeLessThanOrEqual(1);
    expect(Math.max(...ahead)).toBeLessThanOrEqual(20);
  });

  it('reads ahead up to its capacity while the consumer waits for a slower source', async () => {
    const { state, source } = counted(30, 2);
    let most = 0;
    const items = prefetch(source, 10);
    for await (const item of items) {
      if (item === 0) await new Promise((resolve) => setTimeout(resolve, 60)); // one long stall of the consumer
      most = Math.max(most, state.pulled - item - 1);
    }
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(10);
  });

  it('passes a source error on after the items before it, and closes the source when the consumer stops', async () => {
    async function* failing() {
      yield 1;
      yield 2;
      throw new Error('source broke');
    }
    const got: number[] = [];
    await expect(
      (async () => {
        for await (const item of prefetch(failing(), 5)) got.push(item);
      })(),
    ).rejects.toThrow('source broke');
    expect(got).toEqual([1, 2]);

    let closed = false;
    async function* endless() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    for await (const item of prefetch(endless(), 5)) if (item === 3) break;
    await tick();
    expect(closed).toBe(true);
  });
});
