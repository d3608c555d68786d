/**
 * A plain-HTTP registry on loopback, as a newcomer starts one (Debian's
 * docker-registry on 127.0.0.1): used without --tls-verify=false, with one
 * warning per registry on stderr, as cosign and crane do; refused with a
 * message that says what happened and what to type when --tls-verify=true
 * is explicit or the host is not a loopback name; a TLS registry with an
 * unknown certificate is never downgraded to HTTP.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runCli, runCliProcess } from '../support/cli.js';
import { peerImages, startRegistry, type PeerImages, type RegistryPeer } from '../support/peers.js';

let images: PeerImages;
let plain: RegistryPeer;
let tls: RegistryPeer;
const ENV = { XDG_CACHE_HOME: '/nonexistent-cache' };

before(async () => {
  images = await peerImages('tiny');
  plain = await startRegistry();
  tls = await startRegistry({ tls: true });
});
after(async () => {
  await plain?.stop();
  await tls?.stop();
});

/** How many times `text` occurs in `haystack`. */
const count = (haystack: string, text: string): number => haystack.split(text).length - 1;

const warning = (host: string): string =>
  `portcullis: warning: registry ${host} answered HTTP, not HTTPS: using plain HTTP, as for every loopback registry (--tls-verify=true refuses it)\n`;

test('copy and inspect a loopback plain-HTTP registry without --tls-verify=false: works, says so once per registry', async () => {
  const remote = `docker://${plain.host}/loop/tiny:1`;
  const pushed = await runCliProcess(['copy', images.tinyOci, remote], ENV);
  assert.equal(pushed.code, 0, pushed.stderr);
  assert.equal(count(pushed.stderr, warning(plain.host)), 1, pushed.stderr);
  assert.doesNotMatch(pushed.stderr, /SSL routines/);
  // Registry to registry on the same host: two contexts, one warning.
  const again = await runCli(['copy', remote, `docker://${plain.host}/loop/tiny:2`], ENV);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(count(again.stderr, warning(plain.host)), 1, again.stderr);
  assert.equal(count(again.stderr, 'portcullis: warning:'), 1, again.stderr);
  const byName = `localhost:${plain.port}`;
  const inspected = await runCli(['inspect', `docker://${byName}/loop/tiny:2`, '--format', 'json'], ENV);
  assert.equal(inspected.code, 0, inspected.stderr);
  assert.equal(inspected.stderr, warning(byName));
  const quiet = await runCli(['inspect', `docker://${byName}/loop/tiny:2`, '--format', 'json', '-q'], ENV);
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.equal(quiet.stderr, '');
});

test('--tls-verify=true, or a host that is not a loopback name: the HTTP answer is named and the flag suggested (exit 5)', async () => {
  const strict = await runCli(['inspect', `docker://${plain.host}/loop/tiny:1`, '--tls-verify=true'], ENV);
  assert.equal(strict.code, 5);
  assert.equal(strict.stderr, `portcullis: registry ${plain.host}: the server answered HTTP to an HTTPS request; use --tls-verify=false for this registry\n`);
  assert.doesNotMatch(strict.stderr, /SSL routines|wrong version number/);
  // 0.0.0.0 reaches the same local server but is not a loopback name: no silent HTTP.
  const other = `0.0.0.0:${plain.port}`;
  const refused = await runCli(['inspect', `docker://${other}/loop/tiny:1`], ENV);
  assert.equal(refused.code, 5);
  assert.equal(refused.stderr, `portcullis: registry ${other}: the server answered HTTP to an HTTPS request; use --tls-verify=false for this registry\n`);
  const allowed = await runCli(['inspect', `docker://${other}/loop/tiny:1`, '--tls-verify=false', '--format', 'json'], ENV);
  assert.equal(allowed.code, 0, allowed.stderr);
});

test('a loopback TLS registry with an unknown certificate is refused, never retried over HTTP', async () => {
  const r = await runCli(['inspect', `docker://${tls.host}/loop/tiny:1`], ENV);
  assert.equal(r.code, 5);
  assert.match(r.stderr, /certificate/i);
  assert.doesNotMatch(r.stderr, /answered HTTP/);
});
