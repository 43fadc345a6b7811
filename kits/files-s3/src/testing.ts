/**
 * S3 for tests (`@mage-int/files-s3/testing`): s3rver — an S3 implementation on the local file system, a
 * development dependency (install it to use this) — on 127.0.0.1 at a random port, with a bucket, and the storage
 * settings to reach it. The AWS SDK is kept off every other address: no instance-metadata credential probes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

export interface S3StandIn {
  endpoint: string;
  settings: {
    bucket: string;
    endpoint: string;
    region: string;
    force_path_style: boolean;
    access_key_id: string;
    secret_access_key: string;
  };
  close(): Promise<void>;
}

export async function startS3(bucket = 'test-bucket'): Promise<S3StandIn> {
  process.env['AWS_EC2_METADATA_DISABLED'] = 'true';
  const S3rver = ((await import('s3rver' as string)) as { default: S3rverClass }).default;
  const directory = mkdtempSync(join(tmpdir(), 'mage-s3rver-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', directory, silent: true, configureBuckets: [{ name: bucket, configs: [] }] });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  return {
    endpoint,
    // s3rver's fixed credentials.
    settings: { bucket, endpoint, region: 'us-east-1', force_path_style: true, access_key_id: 'S3RVER', secret_access_key: 'S3RVER' },
    async close() {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** What the STS stand-in saw: each AssumeRole call (its form fields and signing key id) and each S3 request's signer. */
export interface AssumeRoleStandIn {
  /** Where STS AssumeRole and S3 are both answered (as MinIO does on one endpoint). */
  endpoint: string;
  assumed: { roleArn: string; sessionName: string; externalId?: string; signedBy: string }[];
  /** The access key id and session token that signed each S3 request. */
  s3Requests: { signedBy: string; sessionToken?: string }[];
  close(): Promise<void>;
}

/** The access key id in a SigV4 Authorization header (`Credential=AKID/date/region/service/aws4_request`). */
const signer = (authorization: string | undefined) => /Credential=([^/]+)\//.exec(authorization ?? '')?.[1] ?? '';

/**
 * STS `AssumeRole` (the Query API: a form-encoded POST with `Action=AssumeRole`, answered in XML as AWS documents
 * it) in front of the s3rver stand-in: the temporary credentials it hands out are s3rver's own key with a session
 * token, so S3 accepts requests signed with them; every other request is passed to s3rver.
 */
export async function startAssumeRole(s3: S3StandIn, sessionToken = 'assumed-session-token'): Promise<AssumeRoleStandIn> {
  const target = new URL(s3.endpoint);
  const assumed: AssumeRoleStandIn['assumed'] = [];
  const s3Requests: AssumeRoleStandIn['s3Requests'] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const form = new URLSearchParams(body.toString('utf8'));
      if (req.method === 'POST' && form.get('Action') === 'AssumeRole') {
        const externalId = form.get('ExternalId');
        assumed.push({
          roleArn: form.get('RoleArn') ?? '',
          sessionName: form.get('RoleSessionName') ?? '',
          ...(externalId ? { externalId } : {}),
          signedBy: signer(req.headers.authorization),
        });
        const expiration = new Date(Date.now() + 3600_000).toISOString();
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(
          `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>` +
            `<AccessKeyId>${s3.settings.access_key_id}</AccessKeyId><SecretAccessKey>${s3.settings.secret_access_key}</SecretAccessKey>` +
            `<SessionToken>${sessionToken}</SessionToken><Expiration>${expiration}</Expiration></Credentials>` +
            `<AssumedRoleUser><Arn>${form.get('RoleArn')}/${form.get('RoleSessionName')}</Arn><AssumedRoleId>AROA0:${form.get('RoleSessionName')}</AssumedRoleId></AssumedRoleUser>` +
            `</AssumeRoleResult><ResponseMetadata><RequestId>sts-1</RequestId></ResponseMetadata></AssumeRoleResponse>`,
        );
        return;
      }
      const token = req.headers['x-amz-security-token'];
      s3Requests.push({ signedBy: signer(req.headers.authorization), ...(typeof token === 'string' ? { sessionToken: token } : {}) });
      const forward = httpRequest(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    assumed,
    s3Requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
