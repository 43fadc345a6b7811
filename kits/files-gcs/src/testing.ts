/**
 * Google Cloud Storage for tests (`@mage-int/files-gcs/testing`): a stand-in of the GCS JSON API paths the
 * Node SDK uses — written from the API reference, not Google's server: list objects (`prefix`, `pageToken`,
 * `maxResults`), object metadata and deletion, media download (`alt=media`, with `x-goog-hash` CRC32C and MD5), simple multipart upload
 * and resumable upload (session URI, `Content-Range` chunks, `308` with `Range` until the last byte, then the
 * object) — in memory, on 127.0.0.1 at a random port. An object exists only once its upload is complete, as on
 * GCS. No authentication: the SDK sends none to a custom `apiEndpoint`; `METADATA_SERVER_DETECTION=none` keeps it
 * from probing the metadata server.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { CRC32C } from '@google-cloud/storage';

interface StoredObject {
  data: Buffer;
  updated: Date;
  generation: number;
  contentType: string;
}

interface Session {
  bucket: string;
  name: string;
  chunks: Buffer[];
  received: number;
}

export interface GcsStandIn {
  endpoint: string;
  settings: { bucket: string; endpoint: string; project_id: string };
  /** Names of objects per bucket (complete uploads only). */
  objects(bucket?: string): string[];
  /** Resumable upload sessions started and not finished. */
  openSessions(): number;
  close(): Promise<void>;
}

function crc32c(data: Buffer): string {
  const crc = new CRC32C();
  crc.update(data);
  return crc.toString();
}

function body(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
  res.end(JSON.stringify(value));
}

function notFound(res: ServerResponse, message: string): void {
  json(res, 404, { error: { code: 404, message, errors: [{ domain: 'global', reason: 'notFound', message }] } });
}

/** The parts of a `multipart/related` body: the JSON metadata, then the media. */
function multipartParts(data: Buffer, contentType: string): Buffer[] {
  const boundary = /boundary=("?)([^";]+)\1/.exec(contentType)?.[2];
  if (!boundary) return [];
  const marker = Buffer.from(`--${boundary}`);
  const parts: Buffer[] = [];
  let at = data.indexOf(marker);
  while (at !== -1) {
    const start = at + marker.length;
    if (data.subarray(start, start + 2).toString() === '--') break;
    const next = data.indexOf(marker, start);
    if (next === -1) break;
    const part = data.subarray(start, next);
    const headerEnd = part.indexOf('\r\n\r\n') !== -1 ? part.indexOf('\r\n\r\n') + 4 : part.indexOf('\n\n') + 2;
    let content = part.subarray(headerEnd);
    if (content.subarray(-2).toString() === '\r\n') content = content.subarray(0, -2);
    else if (content.subarray(-1).toString() === '\n') content = content.subarray(0, -1);
    parts.push(content);
    at = next;
  }
  return parts;
}

export async function startGcs(bucket = 'test-bucket'): Promise<GcsStandIn> {
  process.env['METADATA_SERVER_DETECTION'] = 'none';
  const buckets = new Map<string, Map<string, StoredObject>>([[bucket, new Map()]]);
  const sessions = new Map<string, Session>();
  let generation = 1;
  let base = '';

  const metadata = (bucketName: string, name: string, object: StoredObject) => ({
    kind: 'storage#object',
    id: `${bucketName}/${name}/${object.generation}`,
    name,
    bucket: bucketName,
    generation: String(object.generation),
    metageneration: '1',
    contentType: object.contentType,
    size: String(object.data.length),
    md5Hash: createHash('md5').update(object.data).digest('base64'),
    crc32c: crc32c(object.data),
    timeCreated: object.updated.toISOString(),
    updated: object.updated.toISOString(),
  });

  const store = (bucketName: string, name: string, data: Buffer, contentType: string) => {
    const object = { data, updated: new Date(), generation: generation++, contentType };
    buckets.get(bucketName)?.set(name, object);
    return metadata(bucketName, name, object);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const data = await body(req);
    const api = /^\/storage\/v1\/b\/([^/]+)\/o(?:\/(.+))?$/.exec(url.pathname);
    const upload = /^\/upload\/storage\/v1\/b\/([^/]+)\/o$/.exec(url.pathname);
    const bucketName = decodeURIComponent((api ?? upload)?.[1] ?? '');
    const objects = buckets.get(bucketName);
    if ((api || upload) && !objects) return notFound(res, `The specified bucket does not exist.`);
    if (api && req.method === 'GET' && api[2] === undefined) {
      const prefix = url.searchParams.get('prefix') ?? '';
      const max = Number(url.searchParams.get('maxResults') ?? 1000);
      const from = url.searchParams.get('pageToken') ?? '';
      const names = [...(objects as Map<string, StoredObject>).keys()].filter((n) => n.startsWith(prefix) && n > from).sort();
      const page = names.slice(0, max);
      return json(res, 200, {
        kind: 'storage#objects',
        items: page.map((n) => metadata(bucketName, n, (objects as Map<string, StoredObject>).get(n) as StoredObject)),
        ...(names.length > max ? { nextPageToken: page.at(-1) } : {}),
      });
    }
    if (api && req.method === 'GET') {
      const name = decodeURIComponent(api[2] as string);
      const object = objects?.get(name);
      if (!object) return notFound(res, `No such object: ${bucketName}/${name}`);
      if (url.searchParams.get('alt') === 'media') {
        res.writeHead(200, {
          'content-type': object.contentType,
          'content-length': String(object.data.length),
          'x-goog-hash': `crc32c=${crc32c(object.data)},md5=${createHash('md5').update(object.data).digest('base64')}`,
          'x-goog-generation': String(object.generation),
        });
        res.end(object.data);
        return;
      }
      return json(res, 200, metadata(bucketName, name, object));
    }
    if (api && req.method === 'DELETE' && api[2] !== undefined) {
      if (!objects?.delete(decodeURIComponent(api[2]))) return notFound(res, 'No such object');
      res.writeHead(204);
      res.end();
      return;
    }
    if (upload && req.method === 'POST' && url.searchParams.get('uploadType') === 'multipart') {
      const [meta, media] = multipartParts(data, String(req.headers['content-type'] ?? ''));
      const info = meta ? (JSON.parse(meta.toString() || '{}') as { name?: string; contentType?: string }) : {};
      const name = url.searchParams.get('name') ?? info.name;
      if (!name || !media) return json(res, 400, { error: { code: 400, message: 'malformed multipart upload' } });
      return json(res, 200, store(bucketName, name, media, info.contentType ?? 'application/octet-stream'));
    }
    if (upload && req.method === 'POST' && url.searchParams.get('uploadType') === 'resumable') {
      const info = data.length > 0 ? (JSON.parse(data.toString()) as { name?: string }) : {};
      const name = url.searchParams.get('name') ?? info.name;
      if (!name) return json(res, 400, { error: { code: 400, message: 'no object name' } });
      const id = randomBytes(8).toString('hex');
      sessions.set(id, { bucket: bucketName, name, chunks: [], received: 0 });
      res.writeHead(200, {
        location: `${base}/upload/storage/v1/b/${encodeURIComponent(bucketName)}/o?uploadType=resumable&upload_id=${id}`,
        'content-length': '0',
      });
      res.end();
      return;
    }
    if (upload && req.method === 'PUT' && url.searchParams.get('upload_id')) {
      const id = url.searchParams.get('upload_id') as string;
      const session = sessions.get(id);
      if (!session) return notFound(res, 'no such upload');
      const range = /bytes (\*|(\d+)-(\d+))\/(\*|\d+)/.exec(
        String(req.headers['content-range'] ?? `bytes 0-${data.length - 1}/${data.length}`),
      );
      if (range?.[2] !== undefined && Number(range[2]) === session.received) {
        session.chunks.push(data);
        session.received += data.length;
      }
      const total = range?.[4] === undefined || range[4] === '*' ? undefined : Number(range[4]);
      if (total !== undefined && session.received >= total) {
        sessions.delete(id);
        return json(res, 200, store(session.bucket, session.name, Buffer.concat(session.chunks), 'application/octet-stream'));
      }
      res.writeHead(
        308,
        session.received > 0 ? { range: `bytes=0-${session.received - 1}`, 'content-length': '0' } : { 'content-length': '0' },
      );
      res.end();
      return;
    }
    if (upload && req.method === 'DELETE' && url.searchParams.get('upload_id')) {
      sessions.delete(url.searchParams.get('upload_id') as string);
      res.writeHead(499);
      res.end();
      return;
    }
    notFound(res, `the stand-in does not serve ${req.method} ${url.pathname}`);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => json(res, 500, { error: { code: 500, message: String(error) } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    endpoint: base,
    settings: { bucket, endpoint: base, project_id: 'test-project' },
    objects: (name = bucket) => [...(buckets.get(name)?.keys() ?? [])].sort(),
    openSessions: () => sessions.size,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
