/** The Notary server for a registry, in Docker's order: flag, PORTCULLIS_CONTENT_TRUST_SERVER, DOCKER_CONTENT_TRUST_SERVER, https://REGISTRY. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { notaryServerUrl } from '../../../src/engine/notary/index.js';

const both = { PORTCULLIS_CONTENT_TRUST_SERVER: 'https://ours.example:4443', DOCKER_CONTENT_TRUST_SERVER: 'https://docker.example' };

test('the flag wins, then PORTCULLIS_CONTENT_TRUST_SERVER, then DOCKER_CONTENT_TRUST_SERVER, then the registry', () => {
  assert.equal(notaryServerUrl({ flag: 'https://flag.example', env: both, registry: 'r.example' }).href, 'https://flag.example/');
  assert.equal(notaryServerUrl({ env: both, registry: 'r.example' }).href, 'https://ours.example:4443/');
  assert.equal(notaryServerUrl({ env: { DOCKER_CONTENT_TRUST_SERVER: 'https://docker.example' }, registry: 'r.example' }).href, 'https://docker.example/');
  assert.equal(notaryServerUrl({ env: { PORTCULLIS_CONTENT_TRUST_SERVER: '' }, registry: '127.0.0.1:5000' }).href, 'https://127.0.0.1:5000/');
  assert.equal(notaryServerUrl({ flag: '', env: {}, registry: 'r.example' }).href, 'https://r.example/');
});

test('Docker Hub images use notary.docker.io, as docker does', () => {
  assert.equal(notaryServerUrl({ env: {}, registry: 'docker.io' }).href, 'https://notary.docker.io/');
});

test('a server that is not an http(s) URL, or carries credentials, is a usage error', () => {
  for (const flag of ['ftp://x.example', 'not a url', 'https://user:secret@x.example']) {
    assert.throws(() => notaryServerUrl({ flag, env: {}, registry: 'r.example' }), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'NOTARY_SERVER_INVALID');
      assert.ok(!error.message.includes('secret'));
      return true;
    });
  }
  assert.throws(() => notaryServerUrl({ env: { DOCKER_CONTENT_TRUST_SERVER: 'file:///etc/passwd' }, registry: 'r.example' }), /DOCKER_CONTENT_TRUST_SERVER/);
});
