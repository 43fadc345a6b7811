import { describe, expect, it } from 'vitest';
import {
  coerceStringsToSpec,
  ConfigError,
  createLogger,
  resolvePathFields,
  isSecretName,
  redact,
  redactConfig,
  secretPaths,
  secretValues,
  validateConfig,
  type JsonSchema,
} from '../src/index.js';

const spec: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    batch_max_age_seconds: { type: 'number', default: 60 },
    batch_max_age_ms: { type: 'integer', deprecated: true, 'x-alias-of': 'batch_max_age_seconds' },
    flush_ms: { type: 'integer', deprecated: true, 'x-alias-of': 'batch_max_age_seconds', 'x-alias-scale': 0.001 },
  },
};

describe('validateConfig', () => {
  it('moves a deprecated alias to its new name and warns once', () => {
    const warnings: string[] = [];
    const config = validateConfig<Record<string, unknown>>(spec, { batch_max_age_ms: 5 }, 'destination x', (m) => warnings.push(m));
    expect(config).toEqual({ batch_max_age_seconds: 5 });
    expect(warnings).toEqual(['destination x: setting "batch_max_age_ms" is deprecated, use "batch_max_age_seconds"']);
  });

  it('converts the unit of an alias that has a scale (milliseconds given, seconds kept)', () => {
    expect(validateConfig(spec, { flush_ms: 2500 }, 'x')).toEqual({ batch_max_age_seconds: 2.5 });
  });

  it('keeps the new name when both are given, and fills defaults when neither is', () => {
    expect(validateConfig(spec, { batch_max_age_ms: 5, batch_max_age_seconds: 7 }, 'x')).toEqual({ batch_max_age_seconds: 7 });
    expect(validateConfig(spec, {}, 'x')).toEqual({ batch_max_age_seconds: 60 });
  });

  it("takes another tool's name for a setting (an alias without deprecated) silently, translating its words for values", () => {
    const mage: JsonSchema = {
      type: 'object',
      additionalProperties: false,
      properties: {
        api_key: { type: 'string', secret: true },
        format: { type: 'string', enum: ['auto', 'csv'], default: 'auto' },
        client_secret: { 'x-alias-of': 'api_key', secret: true },
        file_type: { 'x-alias-of': 'format', 'x-alias-values': { infer: 'auto' } },
      },
    };
    const warnings: string[] = [];
    expect(validateConfig(mage, { client_secret: 'sk_test_1', file_type: 'infer' }, 'source x', (m) => warnings.push(m))).toEqual({
      api_key: 'sk_test_1',
      format: 'auto',
    });
    expect(validateConfig(mage, { file_type: 'csv' }, 'source x')).toEqual({ format: 'csv' });
    expect(warnings).toEqual([]);
    // both names with the same value is fine; with different values it is refused, naming both and hiding the secret
    expect(validateConfig(mage, { client_secret: 'sk_test_1', api_key: 'sk_test_1' }, 'source x')).toEqual({
      api_key: 'sk_test_1',
      format: 'auto',
    });
    const conflict = (() => {
      try {
        return validateConfig(mage, { client_secret: 'sk_test_1', api_key: 'sk_test_2' }, 'source x');
      } catch (error) {
        return error;
      }
    })();
    expect(conflict).toBeInstanceOf(ConfigError);
    expect(conflict).toMatchObject({ code: 'CONFIG_INVALID', field: 'client_secret' });
    expect(String((conflict as Error).message)).toBe(
      'field "client_secret": invalid config for source x: "client_secret" and "api_key" are the same setting ("client_secret" is another name for "api_key") but have different values',
    );
    // a bad value under the alias is reported for the setting it names
    expect(() => validateConfig(mage, { file_type: 'xlsx' }, 'source x')).toThrow(/"format" must be one of "auto", "csv" \(got "xlsx"\)/);
  });

  it('reads an alias in a pipeline file as the setting it names: `${VAR}` text becomes its number, a relative path its file', () => {
    const duck: JsonSchema = {
      type: 'object',
      additionalProperties: false,
      properties: {
        path: { type: 'string', format: 'path' },
        timeout_seconds: { type: 'integer' },
        file_path: { 'x-alias-of': 'path' },
        request_timeout: { 'x-alias-of': 'timeout_seconds' },
      },
    };
    const raw = resolvePathFields(
      duck,
      coerceStringsToSpec(duck, { file_path: 'out/analytics.duckdb', request_timeout: '300' }),
      '/pipelines',
    );
    expect(validateConfig(duck, raw, 'destination x')).toEqual({ path: '/pipelines/out/analytics.duckdb', timeout_seconds: 300 });
  });

  it("reads a null as not given (Mage's templates write null for unset settings), where the setting does not take null", () => {
    const mage: JsonSchema = {
      type: 'object',
      additionalProperties: false,
      required: ['bucket'],
      properties: {
        bucket: { type: 'string' },
        prefix: { type: 'string', default: '' },
        access_key_id: { type: 'string' },
        aws_access_key_id: { 'x-alias-of': 'access_key_id' },
        headers: { type: 'object' },
        date_partition_format: { type: ['string', 'null'] },
        case: { type: ['string', 'null'], enum: ['lower', 'upper', null] },
        lower: { type: 'string', enum: ['lower', 'upper'] },
        anything: {},
        threshold: { type: 'number', 'x-ignored': true, 'x-ignored-warning': 'has no effect' },
      },
    };
    const warnings: string[] = [];
    const template = {
      bucket: 'b',
      prefix: null,
      aws_access_key_id: null,
      headers: null,
      date_partition_format: null,
      case: null,
      lower: null,
      anything: null,
      threshold: null,
    };
    expect(validateConfig(mage, template, 'source x', (m) => warnings.push(m))).toEqual({
      bucket: 'b',
      prefix: '',
      date_partition_format: null,
      case: null,
      anything: null,
    });
    expect(warnings).toEqual([]);
    // a null alias beside its setting's value is no conflict; a null required setting is missing; an unknown one refused
    expect(validateConfig(mage, { bucket: 'b', aws_access_key_id: null, access_key_id: 'AK' }, 'x')).toMatchObject({ access_key_id: 'AK' });
    expect(() => validateConfig(mage, { bucket: null }, 'x')).toThrow(/"bucket" is required/);
    expect(() => validateConfig(mage, { bucket: 'b', column_header_format: null }, 'x')).toThrow(
      /"column_header_format" is not a known setting/,
    );
  });

  it('names the unknown setting', () => {
    expect(() => validateConfig(spec, { batch_age: 1 }, 'x')).toThrow(ConfigError);
    expect(() => validateConfig(spec, { batch_age: 1 }, 'x')).toThrow(/"batch_age" is not a known setting/);
  });
});

describe('config errors say what to write', () => {
  const pg: JsonSchema = {
    type: 'object',
    properties: {
      password: { type: 'string', secret: true },
      database: { type: 'string' },
      ssl_mode: { type: 'string', enum: ['disable', 'require', 'verify-full'] },
    },
  };

  it('lists the allowed values of an enum', () => {
    expect(() => validateConfig(pg, { ssl_mode: 'requir' }, 'source postgres')).toThrow(
      'invalid config for source postgres: "ssl_mode" must be one of "disable", "require", "verify-full" (got "requir")',
    );
  });

  it('asks to quote a number given for a string, without showing a secret value', () => {
    const error = (() => {
      try {
        validateConfig(pg, { password: 987654321, database: 1234 }, 'source postgres');
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).toContain('"password" must be a string, not a number: quote it (password: "…")');
    expect(error?.message).toContain('"database" must be a string, not a number (got 1234): quote it (database: "…")');
    expect(error?.message).not.toContain('987654321');
  });
});

describe('secrets', () => {
  const open: JsonSchema = { type: 'object', additionalProperties: true };

  it('recognises credentials by setting name where no spec describes them', () => {
    for (const name of [
      'password',
      'db_password',
      'PASSWORD',
      'clientSecret',
      'client_secret',
      'api_key',
      'apiKey',
      'x-api-key',
      'private_key',
      'credentials',
      'access_token',
      'refresh_token',
      'aws_secret_access_key',
      'access_key',
      'passphrase',
    ]) {
      expect(isSecretName(name), name).toBe(true);
    }
    for (const name of [
      'username',
      'host',
      'token_url',
      'private_key_path',
      'aws_access_key_id',
      'replication_key',
      'key_properties',
      'start_date',
      'keyword',
    ]) {
      expect(isSecretName(name), name).toBe(false);
    }
    const config = {
      user: 'etl',
      password: 'pw',
      auth: { client_secret: 'cs-1', client_id: 'id-1' },
      headers: { Authorization: 'Bearer abc' },
    };
    expect(secretValues(open, config).sort()).toEqual(['Bearer abc', 'cs-1', 'pw']);
  });

  it('trusts a spec for the settings it names, and names for those it does not', () => {
    const spec: JsonSchema = {
      type: 'object',
      properties: { token: { type: 'string' }, key: { type: 'string', secret: true } },
      additionalProperties: true,
    };
    expect(secretValues(spec, { token: 'not-a-credential-here', key: 'k', extra_token: 'x1' }).sort()).toEqual(['k', 'x1']);
  });

  it('finds secrets through oneOf, anyOf, allOf, items and additionalProperties', () => {
    const spec: JsonSchema = {
      type: 'object',
      properties: {
        auth: {
          oneOf: [
            { type: 'object', properties: { method: { const: 'password' }, password: { type: 'string', secret: true } } },
            { type: 'object', properties: { method: { const: 'key' }, private_key: { type: 'string', writeOnly: true } } },
          ],
        },
        replicas: {
          type: 'array',
          items: { allOf: [{ type: 'object', properties: { pass: { type: 'string', secret: true }, host: { type: 'string' } } }] },
        },
        tokens: { type: 'object', additionalProperties: { type: 'string', secret: true } },
        tunnel: { anyOf: [{ type: 'null' }, { type: 'object', properties: { ssh_pass: { type: 'string', secret: true } } }] },
      },
    };
    const config = {
      auth: { method: 'key', private_key: 'PRIV' },
      replicas: [
        { host: 'r1', pass: 'P1' },
        { host: 'r2', pass: 'P2' },
      ],
      tokens: { github: 'G', gitlab: 'L' },
      tunnel: { ssh_pass: 'S' },
    };
    expect(secretValues(spec, config).sort()).toEqual(['G', 'L', 'P1', 'P2', 'PRIV', 'S']);
    expect(secretPaths(spec).sort()).toEqual(['auth.password', 'auth.private_key', 'replicas[].pass', 'tokens.*', 'tunnel.ssh_pass']);
    expect(redactConfig(spec, config)).toEqual({
      auth: { method: 'key', private_key: '***' },
      replicas: [
        { host: 'r1', pass: '***' },
        { host: 'r2', pass: '***' },
      ],
      tokens: { github: '***', gitlab: '***' },
      tunnel: { ssh_pass: '***' },
    });
  });

  it('treats values from ${VAR} in settings no spec describes as secret, except plain numbers and booleans', () => {
    const config = { repository: 'acme/private-repo', url: 'https://api.example.com/?k=Zq', port: '5432', verbose: 'true' };
    const interpolated = [
      { path: 'repository', value: 'acme/private-repo' },
      { path: 'url', value: 'Zq' },
      { path: 'port', value: '5432' },
      { path: 'verbose', value: 'true' },
    ];
    expect(secretValues(open, config, interpolated).sort()).toEqual(['Zq', 'acme/private-repo']);
    const spec: JsonSchema = { type: 'object', properties: { host: { type: 'string' } } };
    expect(secretValues(spec, { host: 'db.internal' }, [{ path: 'host', value: 'db.internal' }])).toEqual([]);
  });

  it('redacts short secrets, and secrets as they appear in JSON and URLs', () => {
    expect(redact('pin 42x, url postgres://u:p%40ss@h, json {"pw":"a\\"b"}', ['42x', 'p@ss', 'a"b'])).toBe(
      'pin ***, url postgres://u:***@h, json {"pw":"***"}',
    );
    expect(redact('id=k9;', ['k9'])).toBe('id=***;');
    const lines: string[] = [];
    createLogger({ secrets: ['ab'], write: (line) => lines.push(line) }).info('token ab used', { token: 'ab' });
    expect(lines).toEqual(['INFO  token *** used {"token":"***"}']);
  });
});
