import { describe, expect, it } from 'vitest';
import { finishKeyRanges, keyRangeBookmarks, keyRangeDone, keyRangeKeys, rangesBetween, startKeyRange, type State } from '../src/index.js';

const stream = 'public-orders';

function planned(): State {
  return {
    bookmarks: {
      [stream]: { version: 100 },
      other: { version: 1 },
      ...keyRangeBookmarks(stream, rangesBetween([{ id: 10 }, { id: 20 }]), 200),
    },
  };
}

describe('key ranges of a split FULL_TABLE stream', () => {
  it('makes open-ended ranges between the bounds and a bookmark per range', () => {
    expect(rangesBetween([{ id: 10 }, { id: 20 }])).toEqual([
      { to: { id: 10 } },
      { from: { id: 10 }, to: { id: 20 } },
      { from: { id: 20 } },
    ]);
    expect(rangesBetween([])).toEqual([{}]);
    const state = planned();
    expect(keyRangeKeys(state, stream)).toEqual([`${stream}#range-1-of-3`, `${stream}#range-2-of-3`, `${stream}#range-3-of-3`]);
    expect(state.bookmarks[`${stream}#range-2-of-3`]).toEqual({
      version: 200,
      key_range: { index: 2, count: 3, from: { id: 10 }, to: { id: 20 } },
    });
  });

  it('starts a range at its bounds, resumes it after its committed key, and skips it when done', () => {
    const state = planned();
    expect(startKeyRange(state, { stream, count: 3, index: 2 }, ['id'])).toEqual({
      stateKey: `${stream}#range-2-of-3`,
      version: 200,
      range: { from: { id: 10 }, to: { id: 20 } },
      done: false,
    });
    state.bookmarks[`${stream}#range-2-of-3`]!.last_pk_fetched = { id: 15 };
    expect(startKeyRange(state, { stream, count: 3, index: 2 }, ['id']).resumeAfter).toEqual({ id: 15 });
    Object.assign(state.bookmarks[`${stream}#range-3-of-3`]!, keyRangeDone());
    expect(startKeyRange(state, { stream, count: 3, index: 3 }, ['id']).done).toBe(true);
    expect(() => startKeyRange(state, { stream, count: 4, index: 1 }, ['id'])).toThrow(/range-1-of-4 is not in the state/);
  });

  it('finalizes only when every range is done: the stream gets the split version, the ranges go', () => {
    const state = planned();
    expect(() => finishKeyRanges(state, { stream, count: 3, finalize: true })).toThrow(/range-1-of-3 is not read completely/);
    for (const key of keyRangeKeys(state, stream)) Object.assign(state.bookmarks[key]!, { done: true });
    const { version, state: after } = finishKeyRanges(state, { stream, count: 3, finalize: true });
    expect(version).toBe(200);
    expect(after.bookmarks).toEqual({ [stream]: { version: 200 }, other: { version: 1 } });
  });
});
