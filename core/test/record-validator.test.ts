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
