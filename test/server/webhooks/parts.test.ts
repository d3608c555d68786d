/**
 * The pure parts of webhooks: which targets may be reached (and the lookup
 * that checks resolved addresses), the signature and its constant-time check,
 * sealed secrets, the backoff's bounds, which pushes are signatures, and
 * Clair's paging.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ServeError } from '../../../src/server/errors.js';
import type { ManifestRecord } from '../../../src/server/metadata/store.js';
import { clairPage, type ClairNotification } from '../../../src/server/webhooks/clair.js';
import { retryDelayMs } from '../../../src/server/webhooks/dispatcher.js';
import { signatureOf } from '../../../src/server/webhooks/events.js';
import { loadSecretBox, secretBox, SECRET_KEY_FILE } from '../../../src/server/webhooks/secrets.js';
import { signWebhookBody, verifyWebhookSignature } from '../../../src/server/webhooks/signing.js';
import { checkTarget, guardedLookup, isNetworkEntry, targetPolicy } from '../../../src/server/webhooks/targets.js';

test('targets: public addresses only, unless the operator allows loopback, private, link-local or a range', () => {
  const none = targetPolicy([]);
  const cases: Array<[string, string | undefined]> = [
    ['93.184.216.34', undefined],
    ['2606:4700::6810:85e5', undefined],
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.31.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['100.100.100.200', 'private'],
    ['fd00:ec2::254', 'private'],
    ['169.254.169.254', 'link-local'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['0.0.0.0', 'reserved or non-unicast'],
    ['224.0.0.1', 'reserved or non-unicast'],
    ['64:ff9b::a9fe:a9fe', 'reserved or non-unicast'],
    ['2002:a9fe:a9fe::1', 'reserved or non-unicast'],
  ];
  for (const [address, range] of cases) {
    assert.equal(none.refusal(address), range === undefined ? undefined : `${address} is a ${range} address, which webhooks may not reach (webhooks.allowedNetworks)`, address);
  }
  const loopback = targetPolicy(['loopback']);
  assert.equal(loopback.refusal('127.0.0.1'), undefined);
  assert.match(loopback.refusal('169.254.169.254') ?? '', /link-local/, 'allowing loopback allows nothing else');
  assert.match(loopback.refusal('0.0.0.0') ?? '', /reserved/);
  const range = targetPolicy(['10.1.0.0/16', 'fd12::/16']);
  assert.equal(range.refusal('10.1.200.3'), undefined);
  assert.match(range.refusal('10.2.0.1') ?? '', /private/);
  assert.equal(range.refusal('fd12::1'), undefined);
  assert.equal(targetPolicy(['link-local']).refusal('169.254.169.254'), undefined, 'only when said');
  for (const entry of ['loopback', 'private', 'link-local', '10.0.0.0/8', '::1', '192.168.0.1/32']) assert.equal(isNetworkEntry(entry), true, entry);
  for (const entry of ['public', '10.0.0.0/33', 'example.com', '10.0.0.0/x', '']) assert.equal(isNetworkEntry(entry), false, entry);
  assert.throws(() => targetPolicy(['10.0.0.0/33']), /not loopback, private, link-local or a CIDR range/);
});

test('targets: URLs are http(s) without credentials or fragment; literal and localhost addresses are checked at once', () => {
  const policy = targetPolicy([]);
  const problem = (url: string): string | undefined => {
    const checked = checkTarget(url, policy);
    return 'problem' in checked ? checked.problem : undefined;
  };
  assert.equal(problem('https://hooks.example/path?x=1'), undefined);
  assert.equal(problem('ftp://hooks.example/'), 'only http and https URLs, not ftp');
  assert.equal(problem('file:///etc/passwd'), 'only http and https URLs, not file');
  assert.equal(problem('https://user:pw@hooks.example/'), 'no credentials in the URL: the receiver checks the signature header instead');
  assert.equal(problem('https://hooks.example/#x'), 'no fragment (#…) in the URL');
  assert.equal(problem('not a url'), 'not a URL');
  assert.equal(problem(`https://hooks.example/${'a'.repeat(2048)}`), 'the URL is longer than 2048 characters');
  assert.match(problem('http://169.254.169.254/latest/meta-data/') ?? '', /^169\.254\.169\.254 is a link-local address/);
  assert.match(problem('http://[::ffff:a9fe:a9fe]/') ?? '', /link-local/);
  assert.match(problem('http://localhost:8080/') ?? '', /^127\.0\.0\.1 is a loopback address/);
  assert.match(problem('http://app.localhost/') ?? '', /loopback/);
  assert.match(problem('http://2130706433/') ?? '', /loopback/, 'the URL parser normalises numeric hosts');
});

test('targets: every spelling of a loopback, unspecified or embedded-IPv4 address is refused; the URL parser and BlockList see through them', () => {
  const policy = targetPolicy([]);
  const problem = (url: string): string | undefined => {
    const checked = checkTarget(url, policy);
    return 'problem' in checked ? checked.problem : undefined;
  };
  const refused: Array<[string, RegExp]> = [
    ['http://[::ffff:127.0.0.1]/', /^::ffff:7f00:1 is a loopback address/],
    ['http://[0:0:0:0:0:ffff:7f00:1]/', /loopback/],
    ['http://0x7f.1/', /^127\.0\.0\.1 is a loopback/],
    ['http://127.1/', /^127\.0\.0\.1 is a loopback/],
    ['http://017700000001/', /^127\.0\.0\.1 is a loopback/],
    ['http://[::]/', /^:: is a reserved or non-unicast/],
    ['http://0.0.0.0/', /^0\.0\.0\.0 is a reserved/],
    ['http://0/', /^0\.0\.0\.0 is a reserved/],
    ['http://[::ffff:0.0.0.0]/', /reserved/],
    ['http://LOCALHOST./', /loopback/],
    // Refused since this round: IPv4-compatible (::a.b.c.d), IPv4-translated (::ffff:0:a.b.c.d) and site-local.
    ['http://[::127.0.0.1]/', /^::7f00:1 is a reserved or non-unicast/],
    ['http://[::169.254.169.254]/', /reserved or non-unicast/],
    ['http://[::ffff:0:127.0.0.1]/', /^::ffff:0:7f00:1 is a reserved or non-unicast/],
    ['http://[fec0::1]/', /reserved or non-unicast/],
  ];
  for (const [url, pattern] of refused) assert.match(problem(url) ?? 'allowed', pattern, url);
  // A backslash is a slash to the URL parser: the host is `hooks.example`, which a name lookup then checks.
  const slashed = checkTarget('http://hooks.example\\@127.0.0.1/', policy);
  assert.ok('url' in slashed && slashed.url.hostname === 'hooks.example');
  assert.equal(problem('http://[2606:4700::6810:85e5]/'), undefined, 'a public IPv6 address stays allowed');
});

test('targets: the lookup refuses a name that resolves to a refused address', async () => {
  const lookup = guardedLookup(targetPolicy([]));
  const refused = await new Promise<NodeJS.ErrnoException | null>((resolve) => lookup('localhost', {}, (error) => resolve(error)));
  assert.equal(refused?.code, 'EWEBHOOKTARGET');
  assert.match(refused?.message ?? '', /^localhost resolves to (127\.0\.0\.1|::1) is a loopback address/);
  const allowed = await new Promise<string | undefined>((resolve, reject) =>
    guardedLookup(targetPolicy(['loopback']))('localhost', {}, (error, address) => (error ? reject(error) : resolve(typeof address === 'string' ? address : undefined))),
  );
  assert.ok(allowed === '127.0.0.1' || allowed === '::1');
});

test('signatures: sha256=HMAC of the raw bytes; any other bytes, secret or form fails', () => {
  // RFC 4231 test case 2.
  assert.equal(signWebhookBody('Jefe', 'what do ya want for nothing?'), 'sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  const body = Buffer.from('{"event":"push"}');
  const header = signWebhookBody('s3cret', body);
  assert.equal(verifyWebhookSignature('s3cret', body, header), true);
  assert.equal(verifyWebhookSignature('s3cret', Buffer.from('{"event":"push" }'), header), false);
  assert.equal(verifyWebhookSignature('other', body, header), false);
  assert.equal(verifyWebhookSignature('s3cret', body, header.toUpperCase()), false);
  assert.equal(verifyWebhookSignature('s3cret', body, header.slice(7)), false);
  assert.equal(verifyWebhookSignature('s3cret', body, undefined), false);
});

test('secrets: sealed for one webhook, opened only for it and with the same key; the key file is made 0600 and a readable one refused', async () => {
  const box = secretBox(randomBytes(32));
  const sealed = box.seal('the-secret', 'a000000000000001');
  assert.match(sealed, /^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
  assert.doesNotMatch(sealed, /the-secret/);
  assert.equal(box.open(sealed, 'a000000000000001'), 'the-secret');
  assert.equal(box.open(sealed, 'a000000000000002'), undefined, 'moved to another row');
  assert.equal(secretBox(randomBytes(32)).open(sealed, 'a000000000000001'), undefined, 'another key');
  assert.equal(box.open('v1.x.y', 'a000000000000001'), undefined);
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-whkey-'));
  const loaded = await loadSecretBox(dir);
  assert.equal((await stat(join(dir, SECRET_KEY_FILE))).mode & 0o777, 0o600);
  assert.equal((await loadSecretBox(dir)).open(loaded.seal('x', 'a'), 'a'), 'x', 'the same key next start');
  const loose = await mkdtemp(join(tmpdir(), 'portcullis-whkey-'));
  await writeFile(join(loose, SECRET_KEY_FILE), randomBytes(32).toString('base64'), { mode: 0o644 });
  await assert.rejects(loadSecretBox(loose), (e: unknown) => e instanceof ServeError && e.code === 'CONFIG_INVALID' && /chmod 600/.test(e.message));
});

test('backoff: between half and all of base × 2^(n−1), capped', () => {
  for (const attempts of [1, 2, 3, 10, 30, 1000]) {
    const full = Math.min(3_600_000, 10_000 * 2 ** (attempts - 1));
    assert.equal(retryDelayMs(attempts, 10_000, 3_600_000, () => 0), full / 2);
    assert.equal(retryDelayMs(attempts, 10_000, 3_600_000, () => 0.999999), Math.round(full / 2 + (0.999999 * full) / 2));
  }
});

test('signature.added: cosign .sig tags and signing referrers, not attestations or other accessories', () => {
  const subject = `sha256:${'1'.repeat(64)}` as const;
  const base: ManifestRecord = { repository: 'team/app', digest: `sha256:${'2'.repeat(64)}`, mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 1, references: [], pushedAt: 'x' };
  assert.deepEqual(signatureOf(base, `sha256-${'1'.repeat(64)}.sig`), { subject, digest: base.digest, format: 'cosign-tag', tag: `sha256-${'1'.repeat(64)}.sig` });
  assert.equal(signatureOf(base, `sha256-${'1'.repeat(64)}.att`), undefined);
  assert.equal(signatureOf(base, 'latest'), undefined);
  const referrer = (artifactType: string, annotations?: Record<string, string>): ManifestRecord => ({ ...base, subject, artifactType, ...(annotations ? { annotations } : {}) });
  assert.equal(signatureOf(referrer('application/vnd.dev.sigstore.bundle.v0.3+json', { 'dev.sigstore.bundle.content': 'message-signature' }))?.format, 'sigstore-bundle');
  assert.equal(signatureOf(referrer('application/vnd.dev.sigstore.bundle.v0.3+json', { 'dev.sigstore.bundle.predicateType': 'https://sigstore.dev/cosign/sign/v1' }))?.format, 'sigstore-bundle');
  assert.equal(signatureOf(referrer('application/vnd.dev.sigstore.bundle+json;version=0.2'))?.format, 'sigstore-bundle');
  assert.equal(signatureOf(referrer('application/vnd.dev.sigstore.bundle.v0.3+json', { 'dev.sigstore.bundle.predicateType': 'https://slsa.dev/provenance/v1' })), undefined, 'an attestation');
  assert.equal(signatureOf(referrer('application/vnd.dev.cosign.artifact.sig.v1+json'))?.format, 'cosign-referrer');
  assert.equal(signatureOf(referrer('application/vnd.cncf.notary.signature'))?.format, 'notation');
  assert.equal(signatureOf(referrer('application/spdx+json')), undefined);
  assert.equal(signatureOf({ ...base, artifactType: 'application/vnd.cncf.notary.signature' }), undefined, 'no subject: not attached to anything');
});

test('Clair paging: page_size and next walk the notifications; the last page has no next', () => {
  const all: ClairNotification[] = Array.from({ length: 5 }, (_, i) => ({
    id: `n${i}`,
    manifest: `sha256:${'a'.repeat(64)}`,
    reason: 'added',
    vulnerability: { name: `CVE-${i}`, description: '', severity: 'High', fixed_in_version: '', links: '' },
  }));
  const stored = JSON.stringify(all);
  const walked: string[] = [];
  let next: string | undefined;
  for (let pages = 0; pages < 10; pages++) {
    const page = clairPage(stored, { pageSize: '2', ...(next !== undefined ? { next } : {}) });
    assert.ok(!('problem' in page));
    assert.equal(page.page.size, 2);
    for (const n of page.notifications) walked.push(n.id);
    next = page.page.next;
    if (next === undefined) break;
  }
  assert.deepEqual(walked, ['n0', 'n1', 'n2', 'n3', 'n4']);
  const whole = clairPage(stored, {});
  assert.ok(!('problem' in whole) && whole.page.size === 500 && whole.notifications.length === 5 && whole.page.next === undefined);
  assert.deepEqual(clairPage(stored, { pageSize: '0' }), { problem: 'page_size must be a whole number of at least 1' });
  assert.deepEqual(clairPage(stored, { next: 'nope' }), { problem: 'next does not name a notification of this id' });
});
