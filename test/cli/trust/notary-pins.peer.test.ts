/**
 * Pinned Notary keys (`notary.rootKeys`, `notary.signers`) in CLI content
 * trust, with the real docker CLI and notary CLI against `serve`'s Notary
 * service. Three publishers, each with their own docker configuration (own
 * trust directory, own keys): the owner initialises a GUN with `docker trust
 * signer add` (alice signs targets/releases); mallory initialises another
 * GUN of the same registry with her own root; carol is added as a signer by
 * the owner and signs her own role with her key. Proves: the ids `docker
 * trust inspect` prints ("Root Key", Signers' keys) pin, and `verify --format
 * json` reports them; mallory's GUN is refused (exit 8) naming her root key
 * and the pinned one; carol's target is refused naming her key and the
 * pinned signer.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { VerifyReport } from '../../../src/engine/trust/index.js';
import { openNotaryService } from '../../../src/server/notary/index.js';
import { makeTls, notaryCli } from '../../support/notary.js';
import { peerImages, runCommand } from '../../support/peers.js';
import { skopeoCopy } from '../../support/skopeo.js';
import { startPortcullisRegistry, type PortcullisRegistry } from '../../support/registry-server.js';
import { cli, trustHome } from './helpers.js';
import { manifestOf } from './notary-scenario.js';

const ROOT_PASS = 'pins-root-pass-17';
const REPO_PASS = 'pins-repo-pass-18';

let registry: PortcullisRegistry;
let closeNotary: () => Promise<void>;
let work: string;
let ca: string;
let certDir: string;
let env: NodeJS.ProcessEnv;
let tinyOci: string;

/** One publisher: a docker configuration of their own, trusting the registry's CA. */
interface Publisher {
  readonly name: string;
  readonly config: string;
  docker(args: string[]): Promise<string>;
  notary(args: string[]): Promise<string>;
}

async function publisher(name: string): Promise<Publisher> {
  const config = join(work, `docker-${name}`);
  await mkdir(join(config, 'tls', registry.host), { recursive: true });
  await copyFile(ca, join(config, 'tls', registry.host, 'ca.crt'));
  const dockerEnv = {
    ...process.env,
    DOCKER_CONFIG: config,
    DOCKER_HOST: `unix://${join(work, 'no-daemon.sock')}`,
    DOCKER_CONTENT_TRUST_SERVER: registry.url,
    DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: ROOT_PASS,
    DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: REPO_PASS,
  };
  const pass = { NOTARY_ROOT_PASSPHRASE: ROOT_PASS, NOTARY_TARGETS_PASSPHRASE: REPO_PASS, NOTARY_SNAPSHOT_PASSPHRASE: REPO_PASS, NOTARY_DELEGATION_PASSPHRASE: REPO_PASS };
  return {
    name,
    config,
    async docker(args) {
      const r = await runCommand('docker', args, { env: dockerEnv, timeoutMs: 120_000 });
      assert.equal(r.code, 0, `${name}: docker ${args.join(' ')}: ${r.stderr}${r.stdout}`);
      return r.stdout + r.stderr;
    },
    async notary(args) {
      const r = await notaryCli({ server: registry.url, trustDir: join(config, 'trust'), ca }, args, { env: pass });
      assert.equal(r.code, 0, `${name}: notary ${args.join(' ')}: ${r.stderr}${r.stdout}`);
      return r.stdout + r.stderr;
    },
  };
}

/** `signer` generates a delegation key in their own trust directory; `owner` adds it to `gun` (initialising the GUN the first time). */
async function addSigner(owner: Publisher, signer: Publisher, gun: string): Promise<void> {
  const keys = join(work, `keys-${signer.name}`);
  await mkdir(keys, { recursive: true });
  await signer.docker(['trust', 'key', 'generate', signer.name, '--dir', keys]);
  await owner.docker(['trust', 'signer', 'add', '--key', join(keys, `${signer.name}.pub`), signer.name, gun]);
}

/** Pushes the tiny image as `gun:tag` and signs it in `role` as `who`. */
async function signed(who: Publisher, gun: string, tag: string, role: string): Promise<string> {
  await skopeoCopy(tinyOci, `docker://${gun}:${tag}`);
  const m = await manifestOf(`${gun}:${tag}`);
  await who.notary(['addhash', gun, tag, String(m.size), '--sha256', m.hex, '-r', role]);
  await who.notary(['publish', gun]);
  return m.digest;
}

interface Inspect {
  Signers: Array<{ Name: string; Keys: Array<{ ID: string }> }>;
  AdministrativeKeys: Array<{ Name: string; Keys: Array<{ ID: string }> }>;
}

const pull = (ref: string, policy: string) => cli(['pull', ref, `oci:${join(work, `out-${Math.random().toString(36).slice(2)}`)}:x`, '--cert-dir', certDir, '--policy', policy], { ...env, PORTCULLIS_CONTENT_TRUST: '1' });

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'dct-pins-'));
  const tls = await makeTls(join(work, 'tls'));
  ca = tls.ca;
  const notary = await openNotaryService({ root: join(work, 'notary') });
  closeNotary = () => notary.close();
  registry = await startPortcullisRegistry({ notary, tls: { cert: tls.cert, key: tls.key } });
  certDir = join(work, 'certs');
  await mkdir(certDir);
  await copyFile(ca, join(certDir, 'ca.crt'));
  env = await trustHome();
  tinyOci = (await peerImages('tiny')).tinyOci;
});

after(async () => {
  await registry?.close();
  await closeNotary?.();
});

test('pinned root and signer: the owner\'s image passes; another root and an unlisted delegation key are refused, naming the keys', async () => {
  const [owner, alice, mallory, carol] = await Promise.all(['owner', 'alice', 'mallory', 'carol'].map(publisher)) as [Publisher, Publisher, Publisher, Publisher];
  const gun = `${registry.host}/pins/app`;
  const evil = `${registry.host}/pins/evil`;

  await addSigner(owner, alice, gun);
  const digest = await signed(alice, gun, 'v1', 'targets/releases');
  const inspect = (JSON.parse(await owner.docker(['trust', 'inspect', gun])) as Inspect[])[0];
  const rootId = inspect?.AdministrativeKeys.find((k) => k.Name === 'Root')?.Keys[0]?.ID ?? '';
  const aliceId = inspect?.Signers.find((s) => s.Name === 'alice')?.Keys[0]?.ID ?? '';
  assert.match(rootId, /^[0-9a-f]{64}$/);
  assert.match(aliceId, /^[0-9a-f]{64}$/);

  // verify reports the root key (both ids) and the signer; docker's "Root Key" is one of them.
  const v = await cli(['verify', `${gun}:v1`, '--cert-dir', certDir, '--format', 'json'], env);
  assert.equal(v.code, 0, v.stderr);
  const finding = (JSON.parse(v.stdout) as VerifyReport).notary?.finding;
  assert.equal(finding?.kind, 'signed', JSON.stringify(finding));
  if (finding?.kind !== 'signed') return;
  assert.equal(finding.rootKeys.length, 1);
  const root = finding.rootKeys[0];
  assert.ok(root && [root.keyId, root.canonicalId].includes(rootId), `docker's root key ${rootId} is one of ${JSON.stringify(root)}`);
  assert.deepEqual(finding.keyIds, [aliceId]);

  const policy = join(work, 'policy.yaml');
  await writeFile(policy, `version: 1\nrepositories:\n  - match: "${registry.host}/pins/**"\n    sources: [notary]\n    notary:\n      rootKeys: [${rootId}]\n      signers: [${aliceId}]\n`);
  const ok = await pull(`${gun}:v1`, policy);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, `${digest}\n`);

  // Mallory can push to the registry: she initialises another GUN with her own root and signs her image.
  await addSigner(mallory, mallory, evil);
  await signed(mallory, evil, 'v1', 'targets/releases');
  const malloryRoot = (JSON.parse(await mallory.docker(['trust', 'inspect', evil])) as Inspect[])[0]?.AdministrativeKeys.find((k) => k.Name === 'Root')?.Keys[0]?.ID ?? '';
  assert.match(malloryRoot, /^[0-9a-f]{64}$/);
  assert.notEqual(malloryRoot, rootId);
  const refused = await pull(`${evil}:v1`, policy);
  assert.equal(refused.code, 8, refused.stderr);
  assert.match(refused.stderr, new RegExp(`notary: Notary keys not pinned: the Notary root of ${evil} is signed by root key [^;]*${malloryRoot}[^;]*, not by a pinned one \\(notary\\.rootKeys: ${rootId}\\)`));

  // Carol is a signer the owner added, but not one the policy pins: her own role's target is refused.
  await addSigner(owner, carol, gun);
  await signed(carol, gun, 'carol', 'targets/carol');
  const carolId = (JSON.parse(await owner.docker(['trust', 'inspect', gun])) as Inspect[])[0]?.Signers.find((s) => s.Name === 'carol')?.Keys[0]?.ID ?? '';
  assert.match(carolId, /^[0-9a-f]{64}$/);
  const byCarol = await pull(`${gun}:carol`, policy);
  assert.equal(byCarol.code, 8, byCarol.stderr);
  assert.match(byCarol.stderr, new RegExp(`notary: Notary keys not pinned: targets/carol of ${gun} is signed by key [^;]*${carolId}[^;]*, not by a pinned signer \\(notary\\.signers: ${aliceId}\\)`));
  // Alice's tag still passes under the same policy, and under one pinning the root's canonical id (`notary key list`'s).
  assert.equal((await pull(`${gun}:v1`, policy)).code, 0);
  assert.notEqual(root.canonicalId, rootId, 'docker trust inspect prints the certificate\'s id, not the canonical one');
  const canonical = join(work, 'canonical.yaml');
  await writeFile(canonical, `version: 1\nrepositories:\n  - match: "${registry.host}/pins/**"\n    sources: [notary]\n    notary: {rootKeys: [${root.canonicalId}]}\n`);
  const byCanonical = await pull(`${gun}:v1`, canonical);
  assert.equal(byCanonical.code, 0, byCanonical.stderr);
  assert.equal((await pull(`${evil}:v1`, canonical)).code, 8);
});
