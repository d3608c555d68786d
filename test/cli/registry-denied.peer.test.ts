/**
 * A registry that refuses to serve an image by its policy exits 13 with the
 * registry's reason; a registry that refuses who is asking stays 4. Against
 * `portcullis serve --deny-severity CRITICAL` run as a user runs it (the
 * tiny image carries a CRITICAL minimist advisory), and against the same
 * server with an authorizer that lets the user in but not to the repository
 * (distribution's wording, "requested access to the resource is denied").
 * The classification rule itself is checked on what other registries send.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { parseErrorBody, policyDenial } from '../../src/image/transports/docker/errors.js';
import { importPaths } from '../../src/vuln/db.js';
import { runCli } from '../support/cli.js';
import { TINY_IMAGE_ADVISORIES, writeAdvisories } from '../support/osv.js';
import { CLI } from '../support/paths.js';
import { freePort, peerImages, type PeerImages } from '../support/peers.js';
import { startPortcullisRegistry, type PortcullisRegistry } from '../support/registry-server.js';
import { fakeAccessControl } from '../support/access.js';

let images: PeerImages;
let work: string;
let serve: ChildProcess;
let host: string;
let guarded: PortcullisRegistry;
const ENV = { XDG_CACHE_HOME: '/nonexistent-cache' };

before(async () => {
  images = await peerImages('tiny');
  work = await mkdtemp(join(tmpdir(), 'portcullis-denied-'));
  const db = join(work, 'advisories.sqlite');
  await importPaths(db, [writeAdvisories(join(work, 'osv'), TINY_IMAGE_ADVISORIES)]);
  host = `127.0.0.1:${await freePort()}`;
  serve = spawn(process.execPath, [CLI, 'serve', '--addr', host, '--root', join(work, 'root'), '--db', db, '--deny-severity', 'CRITICAL', '--log-level', 'silent'], {
    env: { ...process.env, NO_COLOR: '1' },
    stdio: 'ignore',
  });
  for (let i = 0; ; i++) {
    const up = await fetch(`http://${host}/v2/`).then((r) => r.ok, () => false);
    if (up) break;
    if (i > 300) throw new Error('portcullis serve did not come up');
    await sleep(100);
  }
  // Lets everyone in, and lets them pull but never push: an authorization refusal, not a policy one.
  guarded = await startPortcullisRegistry({
    auth: fakeAccessControl({
      challenge: 'Basic realm="guarded"',
      authenticate: () => ({ ok: true, principal: { kind: 'user', name: 'alice', admin: false, via: 'password' } }),
      can: (_principal, action) => action === 'pull',
    }),
  });
});
after(async () => {
  serve?.kill('SIGTERM');
  await guarded?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

test('a pull refused by the registry\'s vulnerability policy exits 13 and prints its reason', async () => {
  const ref = `docker://${host}/deny/tiny:1`;
  const pushed = await runCli(['copy', images.tinyOci, ref, '-q'], ENV);
  assert.equal(pushed.code, 0, pushed.stderr);
  // The refusal names the finding once the scan is done (before, it is refused as not scanned yet: 13 too).
  let r = await runCli(['inspect', ref, '-q'], ENV);
  for (let i = 0; i < 300 && !/vulnerabilities/.test(r.stderr); i++) {
    assert.equal(r.code, 13, r.stderr);
    await sleep(100);
    r = await runCli(['inspect', ref, '-q'], ENV);
  }
  assert.equal(r.code, 13, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(`^portcullis: manifest ${host}/deny/tiny:1: the registry refused to serve it: image sha256:[0-9a-f]{64} has 1 CRITICAL vulnerabilit(y|ies) \\(policy: deny CRITICAL and above\\)\\n$`),
  );
  const scanned = await runCli(['scan', ref, '-q', '--db', join(work, 'advisories.sqlite')], ENV);
  assert.equal(scanned.code, 13, scanned.stderr);
});

test('a push refused for who is asking ("requested access to the resource is denied") stays an auth failure: 4', async () => {
  const ref = `docker://${guarded.host}/private/app:1`;
  const r = await runCli(['copy', images.tinyOci, ref, '-q'], ENV);
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.stderr, /HTTP 403 \(DENIED: requested access to the resource is denied\)/);
});

test('the rule on what registries send: policy reasons are denials, authorization wordings are not', () => {
  const body = (code: string, message: string): Buffer => Buffer.from(JSON.stringify({ errors: [{ code, message }] }));
  const isPolicy = (status: number, code: string, message: string): boolean => policyDenial(status, parseErrorBody(body(code, message))) !== undefined;
  // portcullis serve
  assert.equal(isPolicy(403, 'DENIED', `image sha256:${'a'.repeat(64)} has 1 CRITICAL vulnerabilities (policy: deny CRITICAL and above)`), true);
  assert.equal(isPolicy(403, 'DENIED', 'remote trust data does not exist for 127.0.0.1:5000/app'), true);
  // Harbor's vulnerability gate
  assert.equal(isPolicy(412, 'PROJECTPOLICYVIOLATION', "current image with '3 vulnerabilities' cannot be pulled due to configured policy"), true);
  // authorization, in the words of distribution / Docker Hub, GHCR, ECR, Quay, Artifact Registry
  for (const message of [
    'requested access to the resource is denied',
    'denied',
    'permission_denied: The token provided does not match expected scopes.',
    'Not Authorized',
    'access to the requested resource is not authorized',
    'Permission "artifactregistry.repositories.downloadArtifacts" denied on resource',
    '',
  ]) {
    assert.equal(isPolicy(403, 'DENIED', message), false, message);
  }
  // A 401 is never a policy denial, whatever it says.
  assert.equal(isPolicy(401, 'DENIED', 'image has CRITICAL vulnerabilities'), false);
  assert.equal(isPolicy(403, 'UNAUTHORIZED', 'image has CRITICAL vulnerabilities'), false);
});
