/**
 * Which registries may answer plain HTTP without --tls-verify=false (the
 * loopback ones, as cosign and crane allow), and how a TLS failure is told
 * apart from a server that answered HTTPS in HTTP.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RegistryError } from '../../../../src/image/transports/docker/errors.js';
import { answeredPlainHttp, isLoopbackRegistry, schemesFor } from '../../../../src/image/transports/docker/tls.js';

test('loopback registries: localhost, 127.0.0.0/8 and ::1, with or without a port', () => {
  for (const r of ['localhost', 'localhost:5000', 'LOCALHOST:5000', '127.0.0.1', '127.0.0.1:5000', '127.1.2.3:80', '127.255.255.255', '[::1]:5000', '[::1]', '::1', '[0:0:0:0:0:0:0:1]:5000']) {
    assert.equal(isLoopbackRegistry(r), true, r);
  }
  for (const r of ['docker.io', 'ghcr.io', '128.0.0.1:5000', '0.0.0.0:5000', '10.0.0.1', '127.0.0.1.nip.io', 'localhost.example.com', '127.0.0.256', '[::2]:5000', 'my-localhost:5000']) {
    assert.equal(isLoopbackRegistry(r), false, r);
  }
});

test('schemes: http is a fallback only with verification off, or unset on loopback', () => {
  assert.deepEqual(schemesFor(false, 'ghcr.io'), ['https', 'http']);
  assert.deepEqual(schemesFor(undefined, 'ghcr.io'), ['https']);
  assert.deepEqual(schemesFor(undefined, '127.0.0.1:5000'), ['https', 'http']);
  assert.deepEqual(schemesFor(true, '127.0.0.1:5000'), ['https']);
});

test('a plain-HTTP answer to a TLS handshake is recognised through wrapping; certificate errors are not', () => {
  const openssl = Object.assign(new Error('error:0A00010B:SSL routines:ssl3_get_record:wrong version number'), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' });
  assert.equal(answeredPlainHttp(openssl), true);
  assert.equal(answeredPlainHttp(new RegistryError('TLS', 'registry x: TLS failure', { cause: openssl })), true);
  assert.equal(answeredPlainHttp(new AggregateError([openssl])), true);
  const selfSigned = Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
  assert.equal(answeredPlainHttp(new RegistryError('TLS', 'registry x: TLS failure', { cause: selfSigned })), false);
  assert.equal(answeredPlainHttp(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })), false);
});
