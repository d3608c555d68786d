/**
 * The image checks on the real peer images: the tiny image's /etc/secret.conf
 * (added in layer 0, deleted in layer 1) is found in the layer that added it;
 * the real Debian 12 image gets the findings a minbase Debian deserves (root,
 * setuid shadow tools as one summary, a shell, apt/dpkg, no HEALTHCHECK) and
 * none of the false ones (no secret, no unmanaged binary, no EOL); a real Go
 * executable copied into an image is unmanaged software even though its
 * build information is read.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { PEERS } from '../../support/paths.js';
import { peerImages, runCommand, type PeerImages } from '../../support/peers.js';
import { cleanBase, lintNamed, lintSpec, summary } from './support.js';

let images: PeerImages;
before(async () => {
  images = await peerImages('all');
});

test('tiny image: the deleted /etc/secret.conf is reported with the layer that added it and the one that deleted it', async () => {
  const result = await lintNamed(images.tinyOci, { now: new Date('2026-06-01T00:00:00Z') });
  const secrets = result.findings.filter((f) => f.ruleId === 'image/secret-in-layer');
  assert.equal(secrets.length, 1);
  const f = secrets[0]!;
  assert.equal(f.location.path, 'etc/secret.conf');
  assert.equal(f.location.layer?.index, 0);
  assert.match(f.message, /^a secret-named setting with a literal value in etc\/secret\.conf \(not shown\), added in layer 0 .* and deleted in layer 1 .*: a deleted file is still in the image$/);
  assert.ok(!JSON.stringify(result).includes('hunter2'), 'the password is never shown');
  // busybox is static and unowned (the dpkg stanza has no file list): unmanaged, and a shell.
  assert.deepEqual(summary(result.findings, 'image/unmanaged-binary'), ['image/unmanaged-binary bin/busybox@0']);
  assert.deepEqual(summary(result.findings, 'image/shell-present'), ['image/shell-present bin/busybox@0']);
});

test('the real Debian 12 image: true findings only', async () => {
  const result = await lintNamed(images.debianOci, { now: new Date('2026-06-01T00:00:00Z') });
  const rules = [...new Set(result.findings.map((f) => f.ruleId))].sort();
  // The shadow tools, mount and su are dpkg's: one INFO summary, no HIGH image/setuid.
  assert.deepEqual(rules, ['image/no-healthcheck', 'image/package-manager-present', 'image/runs-as-root', 'image/setuid-packaged', 'image/shell-present']);
  const packaged = result.findings.filter((f) => f.ruleId === 'image/setuid-packaged');
  assert.equal(packaged.length, 1);
  assert.equal(packaged[0]!.severity, 'INFO');
  assert.equal(packaged[0]!.message, '11 setuid/setgid files installed by OS packages: chage, chfn, chsh, expiry, gpasswd, mount, newgrp, passwd, and 3 more');
  assert.ok(result.cost.scannedFiles > 100, `${result.cost.scannedFiles} files checked for secrets`);
  assert.equal(result.image.os, 'debian 12');
});

test('a real Go executable that no package owns is unmanaged software, with its toolchain and modules', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-hygiene-go-'));
  try {
    const probe = join(dir, 'probe');
    const built = await runCommand('bash', [join(PEERS, 'go-binary.sh'), probe], { timeoutMs: 300_000 });
    assert.equal(built.code, 0, built.stderr);
    const body = readFileSync(probe);
    const result = await lintSpec({ layers: [cleanBase(), [{ name: 'usr/local/bin/probe', body, mode: 0o755 }]] });
    assert.deepEqual(summary(result.findings, 'image/unmanaged-binary'), ['image/unmanaged-binary usr/local/bin/probe@1']);
    const message = result.findings.find((f) => f.ruleId === 'image/unmanaged-binary')!.message;
    assert.match(message, /^usr\/local\/bin\/probe: Go executable built with go1\.\d+(?:\.\d+)? \(\d+ modules?\) that no package manager owns \(added by layer 1\); its vulnerabilities are not fixed by the distribution's updates, only by a rebuild$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
