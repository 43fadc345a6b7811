import { describe, expect, it } from 'vitest';
import { ConfigError, validateConfig, type JsonSchema } from '../src/index.js';

const spec: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    batch_max_age_seconds: { type: 'number', default: 60 },
    batch_max_age_ms: { type: 'integer', deprecated: true, 'x-alias-of': 'batch_max_age_seconds' },
  },
};

describe('validateConfig', () => {
  it('moves a deprecated alias to its new name and warns once', () => {
    const warnings: string[] = [];
    const config = validateConfig<Record<string, unknown>>(spec, { batch_max_age_ms: 5 }, 'destination x', (m) => warnings.push(m));
    expect(config).toEqual({ batch_max_age_seconds: 5 });
    expect(warnings).toEqual(['destination x: setting "batch_max_age_ms" is deprecated, use "batch_max_age_seconds"']);
  });

  it('keeps the new name when both are given, and fills defaults when neither is', () => {
    expect(validateConfig(spec, { batch_max_age_ms: 5, batch_max_age_seconds: 7 }, 'x')).toEqual({ batch_max_age_seconds: 7 });
    expect(validateConfig(spec, {}, 'x')).toEqual({ batch_max_age_seconds: 60 });
  });

  it('names the unknown setting', () => {
    expect(() => validateConfig(spec, { batch_age: 1 }, 'x')).toThrow(ConfigError);
    expect(() => validateConfig(spec, { batch_age: 1 }, 'x')).toThrow(/"batch_age" is not a known setting/);
  });
});
