// The kit against the Redshift stand-in (PostgreSQL behind the wire-protocol proxy: not Redshift): a UTC session,
// values as raw text on request, a refused connection with its hint; quoting and the COPY/UNLOAD authorization clause.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedshiftStandIn, type RedshiftStandIn } from '@mage-int/testkit';
import {
  authorizationClause,
  connectRedshift,
  maskedAuthorizationClause,
  quoteIdentifier,
  quoteLiteral,
  redshiftError,
  s3Authorization,
} from '../src/index.js';

let standIn: RedshiftStandIn;
beforeAll(async () => {
  // No COPY or UNLOAD here: the S3 endpoint is never asked.
  standIn = await startRedshiftStandIn({
    s3: { endpoint: 'http://127.0.0.1:9', region: 'us-east-1', accessKeyId: 'x', secretAccessKey: 'y' },
  });
});
afterAll(() => standIn.close());

const settings = () => ({
  host: standIn.host,
  port: standIn.port,
  database: standIn.database,
  username: standIn.user,
  ssl_mode: 'disable' as const,
});

describe('@mage-int/redshift', () => {
  it('connects in UTC; rawText keeps NUMERIC, BIGINT and timestamps as the server wrote them', async () => {
    const client = await connectRedshift(settings(), { application: 'kit test', rawText: true });
    try {
      const { rows } = await client.query(
        `SELECT current_setting('timezone') AS tz, CAST('12345678901234567890123.45' AS NUMERIC(38,2)) AS n, CAST(9223372036854775807 AS BIGINT) AS b, CAST('2024-01-01 00:00:00.000001+00' AS TIMESTAMPTZ) AS t`,
      );
      expect(rows).toEqual([{ tz: 'UTC', n: '12345678901234567890123.45', b: '9223372036854775807', t: '2024-01-01 00:00:00.000001+00' }]);
    } finally {
      await client.end();
    }
  });

  it('a refused connection is CONNECT_FAILED naming the endpoint, with what to check', async () => {
    const error = await connectRedshift({ ...settings(), port: 9 }, { application: 'kit test' }).catch(
      (e: unknown) => e as { code: string; message: string; hint: string },
    );
    expect(error).toMatchObject({ code: 'CONNECT_FAILED' });
    expect((error as { message: string }).message).toMatch(/127\.0\.0\.1:9/);
    expect((error as { hint: string }).hint).toMatch(/security group/);
  });

  it('errors carry the SQLSTATE and a hint for grants and IAM', () => {
    const denied = redshiftError(Object.assign(new Error('permission denied for schema raw'), { code: '42501' }), 'CREATE TABLE');
    expect(denied.message).toBe('CREATE TABLE: permission denied for schema raw (42501)');
    expect(denied.hint).toMatch(/grant/);
    expect(redshiftError(new Error('User arn:x is not authorized to assume IAM Role arn:y'), 'COPY').hint).toMatch(/IAM role/);
  });

  it('quotes names and constants, refuses backslashes, and writes the authorization of COPY/UNLOAD', () => {
    expect(quoteIdentifier('a "b"')).toBe('"a ""b"""');
    expect(quoteLiteral("it's")).toBe("'it''s'");
    expect(() => quoteLiteral('a\\b')).toThrow(/backslash/);
    expect(s3Authorization({})).toBeUndefined();
    const role = s3Authorization({ iam_role: 'arn:aws:iam::1:role/r', aws_access_key_id: 'k', aws_secret_access_key: 's' });
    expect(authorizationClause(role as never)).toBe("IAM_ROLE 'arn:aws:iam::1:role/r'");
    const keys = s3Authorization({ aws_access_key_id: 'AK', aws_secret_access_key: 'SK', aws_session_token: 'T' });
    expect(authorizationClause(keys as never)).toBe("ACCESS_KEY_ID 'AK' SECRET_ACCESS_KEY 'SK' SESSION_TOKEN 'T'");
    expect(maskedAuthorizationClause(keys as never)).not.toMatch(/SK/);
  });
});
