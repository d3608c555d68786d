/**
 * The image checks on the real peer images: the tiny image's /etc/secret.conf
 * (added in layer 0, deleted in layer 1) is found in the layer that added it;
 * the real Debian 12 image gets the findings a minbase Debian deserves (root,
 * setuid shadow tools, a shell, apt/dpkg, no HEALTHCHECK) and none of the
 * false ones (no secret, no unmanaged binary, no EOL).
 */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { peerImages, type PeerImages } from '../../support/peers.js';
import { lintNamed, summary } from './support.js';

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
  assert.deepEqual(rules, ['image/no-healthcheck', 'image/package-manager-present', 'image/runs-as-root', 'image/setuid', 'image/shell-present']);
  assert.deepEqual(
    result.findings.filter((f) => f.ruleId === 'image/setuid').map((f) => f.location.path),
    ['usr/bin/chage', 'usr/bin/chfn', 'usr/bin/chsh', 'usr/bin/expiry', 'usr/bin/gpasswd', 'usr/bin/mount', 'usr/bin/newgrp', 'usr/bin/passwd', 'usr/bin/su', 'usr/bin/umount', 'usr/sbin/unix_chkpwd'],
  );
  assert.ok(result.cost.scannedFiles > 100, `${result.cost.scannedFiles} files checked for secrets`);
  assert.equal(result.image.os, 'debian 12');
});
