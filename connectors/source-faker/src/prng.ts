/**
 * Seeded randomness with random access: every record draws from its own generator, seeded from
 * (seed, stream, id), so any id can be produced on its own (resuming after `last_pk_fetched`,
 * an order looking up its product's price) and the output never depends on the order of generation.
 */

/** MurmurHash3's 32-bit finaliser: a fast, well-mixed 32-bit hash of a 32-bit integer. */
export function mix32(value: number): number {
  let x = value | 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** A 32-bit hash of a string (FNV-1a, then mixed), for salting streams by name. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return mix32(h);
}

/** The 32-bit key of one stream under a seed (seeds up to 2^53 are folded in whole). */
export function streamKey(seed: number, stream: string): number {
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 0x1_0000_0000) >>> 0;
  return mix32(lo ^ mix32(hi ^ hashString(stream)));
}

/** A 32-bit hash of (key, n): the seed of record n, or of the n-th event of a record. */
export function hash2(key: number, n: number): number {
  return mix32(key ^ mix32(Math.imul(n >>> 0, 0x9e3779b1) + 0x7f4a7c15));
}

const TWO_POW_32 = 0x1_0000_0000;

/** mulberry32: tiny, fast, good enough for synthetic data. One instance is re-seeded per record. */
export class RecordRandom {
  private state = 0;

  /** Starts the sequence of record `id` of the stream with key `key`. */
  seed(key: number, id: number): this {
    this.state = hash2(key, id);
    return this;
  }

  /** A uniform 32-bit unsigned integer. */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A uniform float in [0, 1). */
  float(): number {
    return this.next() / TWO_POW_32;
  }

  /** A uniform integer in [0, n) for n up to 2^32. */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** A uniform integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  /** A uniform element of a non-empty list. */
  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)] as T;
  }

  /** An index chosen by weight from cumulative weights (ascending, last = total). */
  weighted(cumulative: readonly number[]): number {
    const total = cumulative[cumulative.length - 1] ?? 0;
    const r = this.float() * total;
    let i = 0;
    while (i < cumulative.length - 1 && r >= (cumulative[i] as number)) i++;
    return i;
  }
}

/** Running totals of weights, for RecordRandom.weighted. */
export function cumulativeWeights(weights: readonly number[]): number[] {
  let sum = 0;
  return weights.map((w) => (sum += w));
}
