/**
 * `portcullis sign --notary` publishes tags to Notary v1 as `docker trust
 * sign` does, checked with the real readers: the notary CLI (`notary list`)
 * and the docker CLI (`docker trust inspect`, no daemon needed), against
 * `portcullis serve`'s own Notary service and against the real notary-server
 * (../shared/peers/notary.sh). First sign initialises the GUN (root = the
 * store's root key as a certificate, targets = the repository key, snapshot
 * and timestamp the server's), a second tag is added, a moved tag updated.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openNotaryService } from '../../../src/server/notary/index.js';
import { makeTls, notaryCli, parseNotaryList, startNotaryPeer, uniqueGun, type CliTarget } from '../../support/notary.js';
import { peerImages, runCommand, startRegistry, type PeerImages, type RegistryPeer } from '../../support/peers.js';
import { startPortcullisRegistry, type PortcullisRegistry } from '../../support/registry-server.js';
import { skopeoCopy } from '../../support/skopeo.js';
import { cli, trustHome } from './helpers.js';

let images: PeerImages;
let work: string;

before(async () => {
  images = await peerImages('tiny');
  work = await mkdtemp(join(tmpdir(), 'portcullis-notary-sign-'));
});

interface Setup {
  /** `127.0.0.1:PORT`: where the image is pushed (also the GUN's prefix). */
  registryHost: string;
  /** The Notary server the CLIs read. */
  notary: CliTarget;
  /** Extra `sign` flags to reach it. */
  signFlags: string[];
  /** A repository path no other test uses. */
  repository(name: string): string;
}

/** The manifest digest (hex) and size the registry serves for `ref`. */
async function manifestOf(ref: string): Promise<{ hex: string; size: number }> {
  const raw = await runCommand('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${ref}`], {});
  assert.equal(raw.code, 0, raw.stderr);
  const bytes = Buffer.from(raw.stdout, 'utf8');
  const { createHash } = await import('node:crypto');
  return { hex: createHash('sha256').update(bytes).digest('hex'), size: bytes.length };
}

async function notaryList(notary: CliTarget, gun: string): Promise<Map<string, { digest: string; size: number; role: string }>> {
  const r = await notaryCli(notary, ['list', gun]);
  assert.equal(r.code, 0, `notary list ${gun}: ${r.stderr}${r.stdout}`);
  return new Map(parseNotaryList(r.stdout).map((row) => [row.name, row]));
}

interface TrustInspect {
  Name: string;
  SignedTags: Array<{ SignedTag: string; Digest: string; Signers: string[] }>;
  AdministrativeKeys: Array<{ Name: string; Keys: Array<{ ID: string }> }>;
}

async function dockerTrustInspect(notary: CliTarget, gun: string): Promise<TrustInspect> {
  const config = await mkdtemp(join(work, 'docker-'));
  const r = await runCommand('docker', ['trust', 'inspect', gun], {
    env: { ...process.env, DOCKER_CONFIG: config, DOCKER_CONTENT_TRUST_SERVER: notary.server, SSL_CERT_FILE: notary.ca, DOCKER_HOST: 'unix:///nonexistent.sock' },
  });
  assert.equal(r.code, 0, `docker trust inspect ${gun}: ${r.stderr}${r.stdout}`);
  const parsed = JSON.parse(r.stdout) as TrustInspect[];
  assert.equal(parsed.length, 1);
  return parsed[0] as TrustInspect;
}

function signScenario(name: string, setup: () => Promise<Setup>): void {
  describe(name, () => {
    let s: Setup;
    let env: NodeJS.ProcessEnv;
    let repo: string;
    let gun: string;
    let rootId = '';
    let targetsId = '';

    before(async () => {
      s = await setup();
      env = await trustHome();
      const generated = await cli(['key', 'generate'], env);
      assert.equal(generated.code, 0, generated.stderr);
      repo = s.repository('app');
      gun = `${s.registryHost}/${repo}`;
      await skopeoCopy(images.tinyOci, `docker://${gun}:v1`);
      await skopeoCopy(images.tinyOci, `docker://${gun}:v2`, ['--format', 'v2s2']);
    });

    test('the first sign initialises the GUN: notary list and docker trust inspect show the tag, root and repository keys', async () => {
      const r = await cli(['sign', `${gun}:v1`, '--notary', '--format', 'json', ...s.signFlags], env);
      assert.equal(r.code, 0, r.stderr);
      const result = JSON.parse(r.stdout) as { digest: string; notary: { initialized: boolean; changed: boolean; rootKeyId: string; rootCertificateKeyId: string; targetsKeyId: string; size: number } };
      assert.equal(result.notary.initialized, true);
      rootId = result.notary.rootCertificateKeyId;
      assert.notEqual(rootId, result.notary.rootKeyId); // the certificate's ID, not the bare key's
      targetsId = result.notary.targetsKeyId;
      const v1 = await manifestOf(`${gun}:v1`);
      assert.equal(result.digest, `sha256:${v1.hex}`);
      assert.deepEqual((await notaryList(s.notary, gun)).get('v1'), { name: 'v1', digest: v1.hex, size: v1.size, role: 'targets' });
      const inspect = await dockerTrustInspect(s.notary, gun);
      assert.equal(inspect.Name, gun);
      assert.deepEqual(inspect.SignedTags, [{ SignedTag: 'v1', Digest: v1.hex, Signers: ['Repo Admin'] }]);
      const keys = new Map(inspect.AdministrativeKeys.map((k) => [k.Name, k.Keys.map((key) => key.ID)]));
      assert.deepEqual(keys.get('Root'), [rootId]);
      assert.deepEqual(keys.get('Repository'), [targetsId]);
    });

    test('a second tag is added; the first stays', async () => {
      const r = await cli(['sign', `${gun}:v2`, '--notary', '--layout', 'tag', ...s.signFlags], env);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /Notary .*: signed .*:v2 → sha256:/);
      const [v1, v2] = [await manifestOf(`${gun}:v1`), await manifestOf(`${gun}:v2`)];
      assert.notEqual(v1.hex, v2.hex);
      const listed = await notaryList(s.notary, gun);
      assert.deepEqual([...listed.keys()].sort(), ['v1', 'v2']);
      assert.equal(listed.get('v1')?.digest, v1.hex);
      assert.deepEqual(listed.get('v2'), { name: 'v2', digest: v2.hex, size: v2.size, role: 'targets' });
    });

    test('a tag moved in the registry is updated by the next sign; signing it again changes nothing', async () => {
      await skopeoCopy(images.tinyOci, `docker://${gun}:v1`, ['--format', 'v2s2']);
      const moved = await manifestOf(`${gun}:v1`);
      assert.notEqual((await notaryList(s.notary, gun)).get('v1')?.digest, moved.hex);
      const r = await cli(['sign', `${gun}:v1`, '--notary', '--format', 'json', ...s.signFlags], env);
      assert.equal(r.code, 0, r.stderr);
      const first = JSON.parse(r.stdout) as { notary: { changed: boolean; targetsVersion: number } };
      assert.equal(first.notary.changed, true);
      assert.deepEqual((await notaryList(s.notary, gun)).get('v1'), { name: 'v1', digest: moved.hex, size: moved.size, role: 'targets' });
      const inspect = await dockerTrustInspect(s.notary, gun);
      assert.equal(inspect.SignedTags.find((t) => t.SignedTag === 'v1')?.Digest, moved.hex);
      const again = await cli(['sign', `${gun}:v1`, '--notary', '--format', 'json', ...s.signFlags], env);
      assert.equal(again.code, 0, again.stderr);
      const second = JSON.parse(again.stdout) as { notary: { changed: boolean; targetsVersion: number } };
      assert.equal(second.notary.changed, false);
      assert.equal(second.notary.targetsVersion, first.notary.targetsVersion);
    });

    test('a GUN initialised with another root is refused and left as it was', async () => {
      const other = `${s.registryHost}/${s.repository('theirs')}`;
      await skopeoCopy(images.tinyOci, `docker://${other}:v1`);
      const theirs = { ...s.notary, trustDir: await mkdtemp(join(work, 'their-trust-')) };
      for (const args of [['init', other], ['addhash', other, 'v1', '42', '--sha256', 'ab'.repeat(32)], ['publish', other]]) {
        const r = await notaryCli(theirs, args);
        assert.equal(r.code, 0, `notary ${args.join(' ')}: ${r.stderr}${r.stdout}`);
      }
      const r = await cli(['sign', `${other}:v1`, '--notary', ...s.signFlags], env);
      assert.equal(r.code, 9, r.stderr);
      assert.match(r.stderr, /already initialised with another root key .*refusing to publish over it/);
      assert.deepEqual((await notaryList(theirs, other)).get('v1'), { name: 'v1', digest: 'ab'.repeat(32), size: 42, role: 'targets' });
    });

    test('a wrong root passphrase initialises nothing', async () => {
      const fresh = `${s.registryHost}/${s.repository('fresh')}`;
      await skopeoCopy(images.tinyOci, `docker://${fresh}:v1`);
      const r = await cli(['sign', `${fresh}:v1`, '--notary', ...s.signFlags], { ...env, PORTCULLIS_ROOT_PASSPHRASE: 'not-the-root-passphrase' });
      assert.equal(r.code, 4, r.stderr);
      assert.match(r.stderr, /passphrase/i);
      const listed = await notaryCli(s.notary, ['list', fresh]);
      assert.notEqual(listed.code, 0);
      assert.match(listed.stderr + listed.stdout, /does not have trust data|not found|No valid trust data/i);
    });
  });
}

let serve: PortcullisRegistry;
let closeNotary: () => Promise<void> = async () => undefined;
let dockerRegistry: RegistryPeer;

signScenario('against portcullis serve (registry and Notary on one HTTPS address)', async () => {
  const tls = await makeTls(join(work, 'serve-tls'));
  const notary = await openNotaryService({ root: join(work, 'serve-notary') });
  closeNotary = () => notary.close();
  serve = await startPortcullisRegistry({ notary, tls: { cert: tls.cert, key: tls.key } });
  const certs = join(work, 'serve-certs');
  await mkdir(certs);
  await copyFile(tls.ca, join(certs, 'ca.crt'));
  return {
    registryHost: serve.host,
    notary: { server: serve.url, trustDir: join(work, 'serve-trust'), ca: tls.ca },
    signFlags: ['--cert-dir', certs],
    repository: (name) => `team/${name}`,
  };
});

signScenario('against the real notary-server (--notary-server), images in docker-registry', async () => {
  const peer = await startNotaryPeer();
  dockerRegistry = await startRegistry();
  const certs = join(work, 'peer-certs');
  await mkdir(certs);
  await copyFile(peer.ca, join(certs, 'ca.crt'));
  const run = uniqueGun('sign').split('/')[2] as string;
  return {
    registryHost: dockerRegistry.host,
    notary: { server: peer.url, trustDir: join(work, 'peer-trust'), ca: peer.ca },
    signFlags: ['--notary-server', peer.url, '--cert-dir', certs],
    repository: (name) => `signed-${run}/${name}`,
  };
});

after(async () => {
  await serve?.close();
  await closeNotary();
  await dockerRegistry?.stop();
});
