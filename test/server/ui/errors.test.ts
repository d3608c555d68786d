/**
 * The UI when the store fails: a plain 500 page under the same headers, with
 * no detail of the failure in it (that goes to the log), and HEAD answered
 * like GET. Driven with `inject`: nothing here needs a browser.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Fastify from 'fastify';
import type { MetadataStore } from '../../../src/server/metadata/store.js';
import type { AccessControl } from '../../../src/server/services.js';
import { CONTENT_SECURITY_POLICY, uiPlugin } from '../../../src/server/ui/plugin.js';

const broken = new Proxy({} as MetadataStore, {
  get: () => () => Promise.reject(new Error('SQLITE_CORRUPT: secret path /var/lib/portcullis/metadata.db')),
});

test('a failing store gives a 500 page without the error text, with the UI headers', async () => {
  const app = Fastify();
  await app.register(uiPlugin({ metadata: broken }));
  for (const url of ['/ui/', '/ui/r/library/debian', `/ui/r/library/debian/m/sha256:${'a'.repeat(64)}`]) {
    const response = await app.inject({ method: 'GET', url });
    assert.equal(response.statusCode, 500, url);
    assert.equal(response.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
    assert.match(response.body, /<h1>Internal error<\/h1>/);
    assert.doesNotMatch(response.body, /SQLITE|secret/);
  }
  const head = await app.inject({ method: 'HEAD', url: '/ui/static/portcullis.css' });
  assert.equal(head.statusCode, 200);
  assert.equal(head.body, '');
  await app.close();
});

test('a rate-limited sign-in gets a 429 page with Retry-After and the UI headers, never the page', async () => {
  const app = Fastify();
  const refusal = { ok: false as const, challenge: 'Basic realm="portcullis"', reason: 'rate-limited' as const, user: 'alice', retryAfterSeconds: 42 };
  const auth: AccessControl = {
    authorize: async () => refusal,
    authenticate: async () => refusal,
    can: async () => false,
    readableProjects: async () => new Set(),
    challenge: () => refusal.challenge,
  };
  await app.register(uiPlugin({ metadata: broken, auth }));
  const response = await app.inject({ method: 'GET', url: '/ui/r/library/debian', headers: { authorization: `Basic ${Buffer.from('alice:guess').toString('base64')}` } });
  assert.equal(response.statusCode, 429);
  assert.equal(response.headers['retry-after'], '42');
  assert.equal(response.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
  assert.match(response.body, /Too many failed sign-ins/);
  await app.close();
});
