/**
 * Image names typed as plain paths, as a newcomer types them: `scan
 * ./image.tar`, `sbom ./examples/hello`, `lint Dockerfile`. What is on disk
 * decides the transport (a layout directory → oci:, a tar with manifest.json
 * → docker-archive:, with index.json/oci-layout → oci-archive:); anything
 * else is refused with what was tried and the prefixed forms; bare registry
 * names stay registry names.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { defaultTransports } from '../../src/image/all.js';
import { importPaths } from '../../src/vuln/db.js';
import { runCli, runCliProcess } from '../support/cli.js';
import { CLI } from '../support/paths.js';
import { TINY_IMAGE_ADVISORIES, TINY_IMAGE_FINDING_IDS, writeAdvisories } from '../support/osv.js';
import { peerImages, runCommand, type PeerImages } from '../support/peers.js';

let images: PeerImages;
let work: string;
let db: string;
const ENV = { XDG_CACHE_HOME: '/nonexistent-cache' };

/** The CLI as a child process with `cwd` as its working directory (relative names resolve there). */
function runIn(cwd: string, args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCommand(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', ...ENV } });
}

before(async () => {
  images = await peerImages('tiny');
  work = mkdtempSync(join(tmpdir(), 'portcullis-plain-paths-'));
  copyFileSync(images.tinyDockerArchive, join(work, 'image.tar'));
  copyFileSync(images.tinyOciArchive, join(work, 'oci.tar'));
  db = join(work, 'db.sqlite');
  await importPaths(db, [writeAdvisories(join(work, 'osv'), TINY_IMAGE_ADVISORIES)]);
});
after(() => rmSync(work, { recursive: true, force: true }));

test('scan ./image.tar: a docker save archive is read as docker-archive:, and the report says so', async () => {
  const r = await runIn(work, ['scan', './image.tar', '--db', db, '--format', 'json', '-q']);
  assert.equal(r.code, 0, r.stderr);
  const result = JSON.parse(r.stdout) as { target: string; findings: { id: string }[] };
  assert.equal(result.target, 'docker-archive:./image.tar');
  assert.deepEqual(result.findings.map((f) => f.id).sort(), [...TINY_IMAGE_FINDING_IDS].sort());
  // The same image named with its prefix: the same findings.
  const prefixed = await runIn(work, ['scan', 'docker-archive:./image.tar', '--db', db, '--format', 'json', '-q']);
  assert.deepEqual((JSON.parse(prefixed.stdout) as typeof result).findings, result.findings);
});

test('an OCI archive by absolute path is oci-archive:, a bare existing file name too', async () => {
  const abs = await runCli(['inspect', join(work, 'oci.tar'), '--format', 'json'], ENV);
  assert.equal(abs.code, 0, abs.stderr);
  const bare = await runIn(work, ['inspect', 'oci.tar', '--format', 'json']);
  assert.equal(bare.code, 0, bare.stderr);
  const viaPrefix = await runCli(['inspect', `oci-archive:${join(work, 'oci.tar')}`, '--format', 'json'], ENV);
  const digest = (r: { stdout: string }): string => (JSON.parse(r.stdout) as { digest: string }).digest;
  assert.equal(digest(abs), digest(viaPrefix));
  assert.equal(digest(bare), digest(viaPrefix));
});

test('sbom ./examples/hello: an OCI layout directory is oci:, with or without ./ and with :REF', async () => {
  const r = await runCliProcess(['sbom', './examples/hello', '--format', 'json', '-q'], ENV);
  assert.equal(r.code, 0, r.stderr);
  const names = (JSON.parse(r.stdout) as { packages: { name: string }[] }).packages.map((p) => p.name).sort();
  assert.deepEqual(names, ['lodash', 'zlib1g']);
  const bare = await runCliProcess(['sbom', 'examples/hello', '--format', 'json', '-q'], ENV);
  assert.equal(bare.code, 0, bare.stderr);
  assert.equal(bare.stdout, r.stdout.replaceAll('./examples/hello', 'examples/hello'));
  const tagged = await runCliProcess(['inspect', './examples/hello:latest'], ENV);
  assert.equal(tagged.code, 0, tagged.stderr);
  const wrongTag = await runCliProcess(['inspect', './examples/hello:nope'], ENV);
  assert.equal(wrongTag.code, 3, wrongTag.stderr);
});

test('a path that does not exist is not found, and says how registry images are written', async () => {
  const r = await runIn(work, ['scan', './missing.tar', '--db', db]);
  assert.equal(r.code, 3);
  assert.equal(
    r.stderr,
    'portcullis: ./missing.tar does not exist (a name starting with /, ./, ../ or ~ is a local path; a registry image is written alpine, ghcr.io/org/app:1 or docker://HOST/REPO)\n',
  );
  assert.doesNotMatch(r.stderr, /bad path component|invalid image reference/);
});

test('an existing path that is no image: what was tried and the prefixed forms; a bare name also gets docker://', async () => {
  mkdirSync(join(work, 'notes'), { recursive: true });
  const dir = await runIn(work, ['sbom', './notes']);
  assert.equal(dir.code, 2);
  assert.equal(
    dir.stderr,
    'portcullis: ./notes is a directory but not an image: looked for an OCI layout directory (oci-layout, index.json), ' +
      'a docker save archive (a tar with manifest.json), an OCI archive (a tar with index.json, oci-layout); ' +
      'name the format: oci:./notes, docker-archive:./notes or oci-archive:./notes\n',
  );
  const bare = await runIn(work, ['inspect', 'notes']);
  assert.equal(bare.code, 2);
  assert.match(bare.stderr, /notes is a directory but not an image: .*; for the registry image write docker:\/\/notes\n$/);
  writeFileSync(join(work, 'readme.txt'), 'hello\n'.repeat(200));
  const text = await runIn(work, ['inspect', './readme.txt']);
  assert.equal(text.code, 2);
  assert.match(text.stderr, /^portcullis: \.\/readme\.txt is not a tar archive, so not an image: looked for /);
  writeFileSync(join(work, 'image.tar.gz'), gzipSync(readFileSync(join(work, 'image.tar'))));
  const gz = await runIn(work, ['scan', './image.tar.gz', '--db', db]);
  assert.equal(gz.code, 2);
  assert.equal(gz.stderr, 'portcullis: ./image.tar.gz is gzip-compressed: image archives are read as plain tars; decompress it first (gunzip -k ./image.tar.gz)\n');
});

test('lint Dockerfile: a missing Dockerfile is not found (not "repository name must be lowercase"); a present one is linted', async () => {
  const missing = await runIn(work, ['lint', 'Dockerfile']);
  assert.equal(missing.code, 3);
  assert.match(missing.stderr, /^portcullis: Dockerfile does not exist \(lint reads a Dockerfile by its path, or an image by name/);
  const sub = await runIn(work, ['lint', 'build/app.dockerfile']);
  assert.equal(sub.code, 3);
  writeFileSync(join(work, 'Dockerfile'), 'FROM debian:12\nRUN curl https://example.com/x.sh | sh\n');
  const present = await runIn(work, ['lint', 'Dockerfile', '--format', 'json']);
  assert.equal(present.code, 0, present.stderr);
  const doc = JSON.parse(present.stdout) as { kind: string; findings: { ruleId: string }[] };
  assert.equal(doc.kind, 'dockerfile');
  assert.ok(doc.findings.some((f) => f.ruleId === 'dockerfile/pipe-to-shell'));
  // A build folder is not an image: the message points at its Dockerfile.
  const folder = await runIn(work, ['lint', '.']);
  assert.equal(folder.code, 2);
  assert.match(folder.stderr, /^portcullis: \. is a directory but not an image: .*; to lint its Dockerfile: portcullis lint Dockerfile\n$/);
  // An image by plain path is linted as an image.
  const image = await runIn(work, ['lint', './image.tar', '--format', 'json', '-q']);
  assert.equal(image.code, 0, image.stderr);
  assert.equal((JSON.parse(image.stdout) as { kind: string }).kind, 'image');
});

test('copy to a plain path that does not exist yet: the destination format must be named', async () => {
  const r = await runIn(work, ['copy', './image.tar', './out']);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, 'portcullis: ./out does not exist yet: name the format: oci:./out, docker-archive:./out or oci-archive:./out\n');
  const ok = await runIn(work, ['copy', './image.tar', 'oci:./out:latest']);
  assert.equal(ok.code, 0, ok.stderr);
  // Now it exists and is a layout: a plain path reads it.
  const back = await runIn(work, ['inspect', './out', '--format', 'json']);
  assert.equal(back.code, 0, back.stderr);
});

test('bare names stay registry references unless such a file exists', async () => {
  const transports = defaultTransports();
  for (const name of ['alpine', 'ghcr.io/x/y:1', 'localhost:5000/app', '127.0.0.1:5000/demo/hello:latest', 'alpine@sha256:' + 'a'.repeat(64)]) {
    assert.equal((await transports.resolve(name)).transport.name, 'docker', name);
  }
  assert.equal((await transports.resolve(`oci:${join(work, 'nowhere')}`)).transport.name, 'oci');
  await assert.rejects(transports.resolve(join(work, 'nowhere')), { code: 'NOT_FOUND' });
  await assert.rejects(transports.resolve('~/definitely-not-here-portcullis'), { code: 'NOT_FOUND' });
});
