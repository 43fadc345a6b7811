// The MongoDB stand-in's query evaluation (stand-ins/mongodb/query.ts) against the manual's rules: BSON sort order
// across types, query type bracketing, array equality, the update operators.
import { Decimal128, Double, Int32, Long, MaxKey, MinKey, ObjectId } from 'bson';
import { describe, expect, it } from 'vitest';
import { applyUpdate, compareBson, matches, project, sortComparator } from '../src/stand-ins/mongodb/query.js';

describe('MongoDB stand-in queries', () => {
  it('sorts values of different BSON types in MongoDB’s comparison order', () => {
    const values = [
      new MaxKey(),
      new Date(0),
      true,
      new ObjectId('65a1b2c3d4e5f60718293a4b'),
      [1],
      { a: 1 },
      'b',
      new Int32(2),
      null,
      new MinKey(),
    ];
    const sorted = [...values].sort(compareBson);
    expect(sorted).toEqual([values[9], values[8], values[7], values[6], values[5], values[4], values[3], values[2], values[1], values[0]]);
  });

  it('compares numbers across int, long, double and decimal', () => {
    expect(compareBson(new Int32(2), Long.fromString('9007199254740993'))).toBe(-1);
    expect(compareBson(Long.fromString('9007199254740993'), Long.fromString('9007199254740992'))).toBe(1);
    expect(compareBson(new Double(2.5), Decimal128.fromString('2.5'))).toBe(0);
    expect(compareBson(new Int32(3), new Double(2.5))).toBe(1);
  });

  it('matches comparisons only within the operand’s type bracket, and equality on array elements', () => {
    const doc = { _id: 1, n: new Int32(5), s: '7', tags: ['a', 'b'], at: new Date(1000) };
    expect(matches(doc, { n: { $gt: new Int32(4) } })).toBe(true);
    expect(matches(doc, { s: { $gt: new Int32(4) } })).toBe(false); // a string is never $gt a number
    expect(matches(doc, { at: { $gte: new Date(1000), $lt: new Date(2000) } })).toBe(true);
    expect(matches(doc, { tags: 'b' })).toBe(true);
    expect(matches(doc, { missing: null })).toBe(true);
    expect(matches(doc, { $or: [{ n: new Int32(1) }, { s: { $in: ['7', '8'] } }] })).toBe(true);
    expect(matches(doc, { $and: [{ n: new Int32(5) }, { s: { $ne: '7' } }] })).toBe(false);
    expect(() => matches(doc, { s: { $regex: 'x' } })).toThrow(/unknown operator/);
  });

  it('sorts by several keys, projects and applies update operators', () => {
    const docs = [
      { _id: 2, a: 1 },
      { _id: 1, a: 1 },
      { _id: 3, a: 0 },
    ];
    expect([...docs].sort(sortComparator({ a: 1, _id: -1 }))).toEqual([
      { _id: 3, a: 0 },
      { _id: 2, a: 1 },
      { _id: 1, a: 1 },
    ]);
    expect(project({ _id: 1, a: 1, b: 2 }, { b: 1 })).toEqual({ _id: 1, b: 2 });
    expect(project({ _id: 1, a: 1, b: 2 }, { a: 0 })).toEqual({ _id: 1, b: 2 });
    const updated = applyUpdate(
      { _id: 1, n: new Int32(1), gone: true },
      { $inc: { n: new Int32(2) }, $set: { 'x.y': 'z' }, $unset: { gone: '' } },
    );
    expect(updated.doc).toEqual({ _id: 1, n: new Int32(3), x: { y: 'z' } });
    expect(updated.removedFields).toEqual(['gone']);
    expect(applyUpdate({ _id: 1, a: 1 }, { b: 2 }).doc).toEqual({ _id: 1, b: 2 });
    expect(() => applyUpdate({ _id: 1 }, { $set: { _id: 2 } })).toThrow(/immutable field '_id'/);
  });
});
