import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bigQueryClient,
  bigQueryError,
  bigQueryProject,
  qualifiedTable,
  quoteIdentifier,
  quoteLiteral,
  serviceAccountKey,
} from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'mage-bigquery-kit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const key = {
  type: 'service_account',
  project_id: 'key-project',
  client_email: 'sa@key-project.iam.gserviceaccount.com',
  private_key: 'k',
};

describe('@mage-int/bigquery', () => {
  it('quotes GoogleSQL names and literals so no character ends them early', () => {
    expect(quoteIdentifier('a`b\\c')).toBe('`a\\`b\\\\c`');
    expect(quoteLiteral("it's\n\\")).toBe("'it\\'s\\n\\\\'");
    expect(qualifiedTable('ds', 'my table')).toBe('`ds`.`my table`');
  });

  it('reads the service account key from credentials_json, credentials_info or the file, and none means ADC', () => {
    const file = join(dir, 'key.json');
    writeFileSync(file, JSON.stringify(key));
    expect(serviceAccountKey({ project_id: 'p', credentials_json: JSON.stringify(key) })?.client_email).toBe(key.client_email);
    expect(serviceAccountKey({ project_id: 'p', credentials_info: key })?.project_id).toBe('key-project');
    expect(serviceAccountKey({ project_id: 'p', path_to_credentials_json_file: file })?.project_id).toBe('key-project');
    expect(serviceAccountKey({ project_id: 'p' })).toBeUndefined();
  });

  it('refuses a key that is not JSON or not a service account key, naming the setting', () => {
    expect(() => serviceAccountKey({ project_id: 'p', credentials_json: 'nope' })).toThrow(/credentials_json|not JSON/);
    expect(() => serviceAccountKey({ project_id: 'p', credentials_json: '{"type":"authorized_user"}' })).toThrow(
      /client_email or private_key/,
    );
    expect(() => serviceAccountKey({ project_id: 'p', path_to_credentials_json_file: join(dir, 'missing.json') })).toThrow(/cannot read/);
  });

  it('sets up the client on the configured project and endpoint', () => {
    const client = bigQueryClient({ project_id: 'p', api_endpoint: 'http://127.0.0.1:9/' });
    expect(client.projectId).toBe('p');
    expect(client.apiEndpoint).toBe('http://127.0.0.1:9');
  });

  it("defaults the project to the service account key's project_id; a configured one wins", () => {
    expect(bigQueryProject({ credentials_info: key })).toBe('key-project');
    expect(bigQueryClient({ credentials_info: key }).projectId).toBe('key-project');
    expect(bigQueryProject({ project_id: 'p', credentials_info: key })).toBe('p');
    expect(bigQueryProject({})).toBeUndefined();
    const { project_id: _, ...noProject } = key;
    expect(() => bigQueryProject({ credentials_info: noProject })).toThrow(/project_id/);
  });

  it('gives an access-denied error a hint about roles', () => {
    const error = bigQueryError({ code: 403, message: 'Access Denied', errors: [{ reason: 'accessDenied' }] }, 'dataset d');
    expect(error.message).toBe('dataset d: Access Denied (accessDenied)');
    expect(error.hint).toMatch(/roles\/bigquery/);
  });
});
