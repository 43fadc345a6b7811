import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tlsFailureHint, tlsOptions } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'mage-tls-'));
const pem = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const ca = pem('ca.pem', '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n');
const cert = pem('client.pem', 'CLIENT CERT');
const key = pem('client.key', 'CLIENT KEY');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tlsOptions (the SSL settings every database connector shares)', () => {
  it('is off for disable and by default', () => {
    expect(tlsOptions({})).toBe(false);
    expect(tlsOptions({ ssl_mode: 'disable', ssl_ca_file: '/nonexistent' })).toBe(false);
  });

  it('require encrypts without checking the certificate', () => {
    expect(tlsOptions({ ssl_mode: 'require' })).toEqual({ rejectUnauthorized: false });
  });

  it('verify-ca checks the chain against ssl_ca_file but not the host name; verify-full checks both', () => {
    const verifyCa = tlsOptions({ ssl_mode: 'verify-ca', ssl_ca_file: ca });
    expect(verifyCa).toMatchObject({ rejectUnauthorized: true, ca: expect.stringContaining('BEGIN CERTIFICATE') });
    if (!verifyCa) throw new Error('verify-ca gave no TLS options');
    expect(verifyCa.checkServerIdentity?.('db.example', {} as never)).toBeUndefined();
    const full = tlsOptions({ ssl_mode: 'verify-full', ssl_ca_file: ca, ssl_cert_file: cert, ssl_key_file: key });
    expect(full).toEqual({ rejectUnauthorized: true, ca: expect.any(String), cert: 'CLIENT CERT', key: 'CLIENT KEY' });
  });

  it('names the setting of an unreadable file, and of half a client certificate', () => {
    expect(() => tlsOptions({ ssl_mode: 'verify-full', ssl_ca_file: join(dir, 'missing.pem') })).toThrow(
      expect.objectContaining({ code: 'SSL_FILE_UNREADABLE', field: 'ssl_ca_file', message: expect.stringContaining('missing.pem') }),
    );
    expect(() => tlsOptions({ ssl_mode: 'require', ssl_cert_file: cert })).toThrow(
      expect.objectContaining({ code: 'SSL_CLIENT_CERT_INCOMPLETE', field: 'ssl_key_file' }),
    );
  });

  it('explains the usual failures', () => {
    expect(tlsFailureHint('The server does not support SSL connections', 'require')).toMatch(/ssl_mode: disable/);
    expect(tlsFailureHint('self-signed certificate in certificate chain', 'verify-ca')).toMatch(/ssl_ca_file/);
    expect(tlsFailureHint("Hostname/IP does not match certificate's altnames", 'verify-full')).toMatch(/verify-ca/);
    expect(tlsFailureHint('connect ECONNREFUSED', 'require')).toBeUndefined();
  });
});
