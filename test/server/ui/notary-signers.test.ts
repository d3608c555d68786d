/**
 * The image page's Signatures section shows Docker Content Trust beside the
 * cosign keys: each Notary role that signs the image (`targets`,
 * `targets/<name>`) with its key ids; a tag list cell says an image signed
 * only through Notary is signed; a refused or broken Notary answer is shown
 * as its message, escaped.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SignatureSummary } from '../../../src/server/signature-check.js';
import { signatureCell, signatureSection } from '../../../src/server/ui/trust.js';

const now = new Date('2026-12-07T12:00:00Z');
const releasesKey = 'a'.repeat(64);
const aliceKey = 'b'.repeat(64);
const cosignKey = 'c'.repeat(64);

function summary(extra: Partial<SignatureSummary>): SignatureSummary {
  return { verified: true, unsigned: false, signatures: [], entry: 'default', checkedAt: now.toISOString(), ...extra };
}

const notarySigned = summary({
  contentTrust: {
    outcome: 'signed',
    message: 'sha256:1234 signed by targets/releases, targets/alice in reg.example/team/app',
    signers: [
      { role: 'targets/releases', keyIds: [releasesKey] },
      { role: 'targets/alice', keyIds: [aliceKey] },
    ],
  },
});

test('Notary signers are listed by role with their key ids, beside the cosign keys', () => {
  const withCosign = summary({
    ...notarySigned,
    signatures: [{ layout: 'tag', status: 'verified', message: 'ok', keyId: cosignKey, trusted: true }],
  });
  const html = signatureSection({ checked: true, summary: withCosign }, [], now);
  assert.match(html, /<table id="signatures"[\s\S]*<code title="c{64}">c{12}<\/code>/);
  assert.match(html, /<h3>Docker Content Trust \(Notary\)<\/h3>/);
  assert.match(html, /<p id="notary-summary" data-notary="signed">sha256:1234 signed by targets\/releases, targets\/alice in reg.example\/team\/app<\/p>/);
  const rows = [...html.matchAll(/<tr data-role="([^"]+)"><td><code>[^<]+<\/code><\/td><td>(.*?)<\/td><\/tr>/g)].map((m) => [m[1], [...m[2]!.matchAll(/data-key-id="([0-9a-f]+)"/g)].map((k) => k[1])]);
  assert.deepEqual(rows, [
    ['targets/releases', [releasesKey]],
    ['targets/alice', [aliceKey]],
  ]);
});

test('signed only through Notary: the verdict and the tag cell say so', () => {
  const html = signatureSection({ checked: true, summary: notarySigned }, [], now);
  assert.match(html, /<p id="trust-summary" data-signature="trusted">Signed with Docker Content Trust in this registry's Notary data/);
  assert.equal(
    signatureCell({ checked: true, summary: notarySigned }, []),
    '<span class="sig sig-trusted" data-signature="trusted" data-notary="signed">signed (Docker Content Trust: targets/releases, targets/alice)</span>',
  );
});

test('a Notary mismatch or invalid data is shown as its message, escaped; no Notary service shows no Notary section', () => {
  const mismatch = summary({
    verified: false,
    reason: 'moved',
    contentTrust: { outcome: 'mismatch', message: 'tag <v1> is signed (targets) for sha256:aa, but the registry has sha256:bb' },
  });
  const html = signatureSection({ checked: true, summary: mismatch }, [], now);
  assert.match(html, /<p id="notary-summary" class="none" data-notary="mismatch">tag &lt;v1&gt; is signed \(targets\) for sha256:aa, but the registry has sha256:bb<\/p>/);
  assert.doesNotMatch(html, /notary-signers/);
  assert.doesNotMatch(signatureSection({ checked: true, summary: summary({}) }, [], now), /Notary/);
});
