/** `portcullis cat` reads the merged filesystem: whiteouts applied, symlinks followed inside the image. */
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { runCli } from '../support/cli.js';
import { peerImages, type PeerImages } from '../support/peers.js';

let images: PeerImages;
before(async () => {
  images = await peerImages('all');
});

test('the tiny image: deleted files are gone, opaque dirs keep only the upper layer', async () => {
  const secret = await runCli(['cat', images.tinyOci, '/etc/secret.conf', '-q']);
  assert.equal(secret.code, 3, secret.stderr);
  const old = await runCli(['cat', `docker-archive:${images.tinyDockerArchive}`, '/opt/data/old.txt', '-q']);
  assert.equal(old.code, 3, old.stderr);
  const fresh = await runCli(['cat', `oci-archive:${images.tinyOciArchive}`, '/opt/data/new.txt', '-q']);
  assert.equal(fresh.code, 0, fresh.stderr);
  assert.ok(fresh.stdout.length > 0);
  const lodash = await runCli(['cat', images.tinyOci, '/app/node_modules/lodash/package.json', '-q']);
  assert.equal(lodash.code, 0, lodash.stderr);
  assert.equal((JSON.parse(lodash.stdout) as { version: string }).version, '4.17.15');
});

test('the Debian image: /etc/os-release follows its symlink into /usr/lib', async () => {
  const result = await runCli(['cat', images.debianOci, '/etc/os-release', '-q']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^VERSION_ID="12"$/m);
  assert.match(result.stdout, /^ID=debian$/m);
});
