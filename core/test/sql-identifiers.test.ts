import { describe, expect, it } from 'vitest';
import { columnNames, normalizeIdentifier } from '../src/sql/index.js';

describe('SQL identifier rules', () => {
  it('counts the limit in characters when the engine does (MySQL: 64 characters, not bytes)', () => {
    const name = 'ü'.repeat(40);
    expect(normalizeIdentifier(name, { maxBytes: 64, lengthUnit: 'characters' })).toBe(name);
    const long = normalizeIdentifier('ü'.repeat(70), { maxBytes: 64, lengthUnit: 'characters' });
    expect([...long]).toHaveLength(64);
    expect(long).toMatch(/^ü+_[0-9a-f]{8}$/);
    expect(Buffer.byteLength(normalizeIdentifier(name, { maxBytes: 64 }))).toBeLessThanOrEqual(64);
  });

  it('tells apart fields that differ only in case when the engine ignores case', () => {
    const names = columnNames(['Name', 'name'], { maxBytes: 64, lowercase: false, caseInsensitive: true });
    expect([...names.values()]).toEqual(['Name', 'name_2']);
    expect([...columnNames(['Name', 'name'], { maxBytes: 64, lowercase: false }).values()]).toEqual(['Name', 'name']);
  });
});
