/**
 * proxyFor: the cases curl and Go agree on (the same list is checked against
 * Go's httpproxy in proxy-go.peer.test.ts), then the documented choices where
 * they differ.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HttpError, proxyFor } from '../../src/http/index.js';
import { AGREED_CASES } from './proxy-cases.js';

function chosen(env: Record<string, string>, url: string): string {
  const { proxy } = proxyFor(new URL(url), env);
  return proxy ? proxy.origin : '';
}

test('the cases curl and Go agree on', () => {
  for (const c of AGREED_CASES) {
    const env: Record<string, string> = {};
    if (c.http) env.HTTP_PROXY = c.http;
    if (c.https) env.HTTPS_PROXY = c.https;
    if (c.no) env.NO_PROXY = c.no;
    assert.equal(chosen(env, c.url), c.proxy, JSON.stringify(c));
  }
});

test('where curl and Go differ: the choices docs/advisories.md names', () => {
  const P = 'http://proxy.corp:3128';
  // A leading dot matches the domain itself too (curl; Go: subdomains only).
  assert.equal(chosen({ HTTPS_PROXY: P, NO_PROXY: '.example.com' }, 'https://example.com/'), '');
  // Lower-case variables win (curl; Go reads upper-case first).
  assert.equal(chosen({ HTTPS_PROXY: 'http://upper:1', https_proxy: 'http://lower:2' }, 'https://a.example/'), 'http://lower:2');
  assert.equal(chosen({ NO_PROXY: 'a.example', no_proxy: 'b.example', HTTPS_PROXY: P }, 'https://a.example/'), P);
  // Upper-case HTTP_PROXY is read (Go; curl ignores it).
  assert.equal(chosen({ HTTP_PROXY: P }, 'http://a.example/'), P);
  // An empty variable is unset; NO_PROXY entries may be separated by spaces too.
  assert.equal(chosen({ https_proxy: '', HTTPS_PROXY: P }, 'https://a.example/'), P);
  assert.equal(chosen({ HTTPS_PROXY: P, NO_PROXY: 'x.example b.example' }, 'https://b.example/'), '');
  // The proxy's credentials are kept for the proxy (and never shown: describeProxy drops them).
  const { proxy } = proxyFor(new URL('https://a.example/'), { HTTPS_PROXY: 'http://u:p@proxy.corp:3128' });
  assert.equal(proxy?.username, 'u');
  // Unsupported proxies are refused, not ignored.
  assert.throws(() => proxyFor(new URL('https://a.example/'), { HTTPS_PROXY: 'socks5://127.0.0.2:1080' }), (e: unknown) => e instanceof HttpError && e.code === 'PROXY');
  assert.throws(() => proxyFor(new URL('https://a.example/'), { HTTPS_PROXY: 'http://[bad' }), (e: unknown) => e instanceof HttpError && e.code === 'PROXY');
});
