import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CoreError } from '../../src/core/errors.js';
import { apiHost, formatImageRef, parseImageRef } from '../../src/core/reference.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;

test('bare names normalise the way docker does', () => {
  assert.equal(formatImageRef(parseImageRef('alpine')), 'docker.io/library/alpine:latest');
  assert.equal(formatImageRef(parseImageRef('alpine:3.20')), 'docker.io/library/alpine:3.20');
  assert.equal(formatImageRef(parseImageRef('user/app')), 'docker.io/user/app:latest');
  assert.equal(formatImageRef(parseImageRef('index.docker.io/library/busybox:1')), 'docker.io/library/busybox:1');
  assert.equal(apiHost('docker.io'), 'registry-1.docker.io');
});

test('hosts, ports, tags and digests are recognised', () => {
  assert.deepEqual(parseImageRef('127.0.0.1:5001/peers/tiny:latest'), {
    registry: '127.0.0.1:5001',
    repository: 'peers/tiny',
    tag: 'latest',
  });
  assert.deepEqual(parseImageRef('localhost/app'), { registry: 'localhost', repository: 'app', tag: 'latest' });
  assert.deepEqual(parseImageRef(`ghcr.io/org/app@${DIGEST}`), { registry: 'ghcr.io', repository: 'org/app', digest: DIGEST });
  assert.deepEqual(parseImageRef(`ghcr.io/org/app:1.0@${DIGEST}`), {
    registry: 'ghcr.io',
    repository: 'org/app',
    tag: '1.0',
    digest: DIGEST,
  });
  // A first component without a dot, colon or "localhost" is a path, not a host.
  assert.equal(parseImageRef('team/app:1').registry, 'docker.io');
});

test('malformed references are rejected with REFERENCE_INVALID', () => {
  for (const bad of ['', 'host.io/UPPER/case', 'App', 'app:', 'app@sha256:short', 'a//b', 'host:99999/x', `app:${'t'.repeat(129)}`, ' app', 'app:bad tag']) {
    assert.throws(
      () => parseImageRef(bad),
      (error: unknown) => error instanceof CoreError && error.code === 'REFERENCE_INVALID',
      `expected "${bad}" to be rejected`,
    );
  }
});
