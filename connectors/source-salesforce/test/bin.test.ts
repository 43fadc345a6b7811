import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTap, startSalesforceStandIn, type SalesforceStandIn } from '@mage-int/testkit';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
let salesforce: SalesforceStandIn;
const tap = (config: Record<string, unknown>) => runTap(packageDir, config);

describe('source-salesforce as a Singer tap', () => {
  beforeAll(async () => {
    salesforce = await startSalesforceStandIn({
      password: 'bin0password',
      securityToken: 'bin0sectoken',
      clientSecret: 'bin0client0secret',
    });
  }, 120_000);
  afterAll(() => salesforce.close());

  const login = () => ({
    base_url: salesforce.url,
    client_id: salesforce.clientId,
    client_secret: 'bin0client0secret',
    username: salesforce.username,
    password: 'bin0password',
    security_token: 'bin0sectoken',
  });

  it('writes Singer messages, logs the retry wait, and never prints a secret or the session id, even at debug level', async () => {
    salesforce.fail({
      path: /\/queryAll$/,
      response: {
        status: 503,
        headers: { 'retry-after': '1' },
        body: [{ message: 'Server unavailable', errorCode: 'SERVER_UNAVAILABLE' }],
      },
    });
    const result = await tap(login());
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.split('\n').filter((line) => line.includes('"type":"RECORD"')).length).toBe(15);
    expect(result.stderr).toMatch(/queryAll: HTTP 503; retry 1\/5 in 1\.0 s \(Retry-After\)/);
    expect(result.stdout + result.stderr).not.toMatch(/bin0password|bin0sectoken|bin0client0secret|00Dstandin!/);
  });

  it("exits non-zero on a refused login, naming password and Salesforce's reason, without printing it", async () => {
    const result = await tap({ ...login(), password: 'bin0wrong0password' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/password/);
    expect(result.stderr).toMatch(/authentication failure/);
    expect(result.stdout + result.stderr).not.toContain('bin0wrong0password');
  });
});
