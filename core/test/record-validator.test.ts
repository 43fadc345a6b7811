import { describe, expect, it } from 'vitest';
import { Decimal, RecordValidator } from '../src/index.js';

describe('record validation of multipleOf', () => {
  const validator = new RecordValidator('prices', {
    type: 'object',
    properties: { price: { type: ['null', 'number'], multipleOf: 0.01 }, multipleOf: { type: 'string' } },
  });
  const check = (price: unknown) => validator.validate({ price }, 0);

  it('accepts two-place decimals however they arrive: double off the wire, bigint or Decimal', () => {
    for (const price of [141.95, 0.07, 1234567.89, 19.99, -3.1, 5, 1e21, 10n ** 30n, new Decimal('123456789012345678.12'), null]) {
      expect(() => check(price), String(price)).not.toThrow();
    }
  });

  it('rejects values with more decimal places, naming the field', () => {
    for (const price of [141.955, 1e-7, new Decimal('1.001')]) {
      expect(() => check(price), String(price)).toThrow(/field "price": must be multiple of 0.01/);
    }
  });

  it('leaves a field that happens to be called multipleOf alone', () => {
    expect(() => validator.validate({ price: 1.5, multipleOf: 'x' }, 0)).not.toThrow();
  });
});

describe('record validation of multipleOf, every step form', () => {
  const check = (step: number, value: unknown) =>
    new RecordValidator('s', { type: 'object', properties: { v: { type: 'number', multipleOf: step } } }).validate({ v: value }, 0);
  const cases: [number, unknown, boolean][] = [
    [1, 5, true],
    [1, 5.5, false],
    [1, new Decimal('12.000'), true],
    [1, 10n ** 20n + 1n, true],
    [0.1, new Decimal('0.30'), true],
    [0.1, 0.35, false],
    [0.001, new Decimal('-7.125'), true],
    [0.001, new Decimal('7.1255'), false],
    [0.01, new Decimal('1.5e-1'), true],
    [0.01, new Decimal('1.5e-3'), false],
    [0.01, 2n ** 70n, true],
    [0.25, 10n ** 20n + 3n, true],
    [0.25, new Decimal('1.75'), true],
    [0.25, 1.3, false],
    [5, 10n ** 20n, true],
    [5, 10n ** 20n + 1n, false],
    [1e-7, 1e-7, true],
  ];
  it('decides exactly, for powers of ten and other steps', () => {
    for (const [step, value, ok] of cases) {
      if (ok) expect(() => check(step, value), `${value} % ${step}`).not.toThrow();
      else expect(() => check(step, value), `${value} % ${step}`).toThrow(/multiple of/);
    }
  });
});
