import { describe, expect, it } from 'vitest';
import { candidatePackages, parseConnectorRequest, registryArgs, unexpectedFiles } from '@mage-int/registry';

describe('connector requests', () => {
  it('reads source-x and destination-x as kind and name, with an optional version', () => {
    expect(parseConnectorRequest('source-stripe')).toEqual({ kind: 'source', name: 'stripe', range: undefined });
    expect(parseConnectorRequest('destination-duckdb@^1.2')).toEqual({ kind: 'destination', name: 'duckdb', range: '^1.2' });
  });

  it('reads anything else as an npm package name', () => {
    expect(parseConnectorRequest('@acme/source-crm@2.0.0')).toEqual({ packageName: '@acme/source-crm', range: '2.0.0' });
    expect(parseConnectorRequest('mage-int-source-crm')).toEqual({ packageName: 'mage-int-source-crm', range: undefined });
  });

  it('rejects what is neither', () => {
    expect(() => parseConnectorRequest('Source Stripe')).toThrow(/neither a connector/);
  });

  it('tries the first-party scope before the community name', () => {
    expect(candidatePackages(parseConnectorRequest('source-stripe'))).toEqual(['@mage-int/source-stripe', 'mage-int-source-stripe']);
    expect(candidatePackages(parseConnectorRequest('@acme/source-crm'))).toEqual(['@acme/source-crm']);
  });

  it('points only a scoped package scope at a private registry', () => {
    expect(registryArgs('@acme/source-crm', 'http://127.0.0.1:4873')).toEqual(['--@acme:registry=http://127.0.0.1:4873/']);
    expect(registryArgs('mage-int-source-crm', 'http://127.0.0.1:4873/')).toEqual(['--registry=http://127.0.0.1:4873/']);
    expect(registryArgs('@acme/source-crm', undefined)).toEqual([]);
  });

  it('accepts only built JS, types and spec.json in a tarball', () => {
    expect(unexpectedFiles(['package.json', 'README.md', 'spec.json', 'dist/index.js', 'dist/index.d.ts', 'dist/index.js.map'])).toEqual(
      [],
    );
    expect(unexpectedFiles(['src/index.ts', 'test/a.test.ts', 'tsconfig.json', 'dist/index.js'])).toEqual([
      'src/index.ts',
      'test/a.test.ts',
      'tsconfig.json',
    ]);
  });
});
