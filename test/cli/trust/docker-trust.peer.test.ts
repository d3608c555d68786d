/**
 * The real docker CLI's trust commands (no daemon needed for them) against
 * `serve`'s Notary service: `docker trust signer add` initialises the GUN
 * and adds a signer, the tag is signed into targets/releases, `docker trust
 * sign` adds the signer's signature, `PORTCULLIS_CONTENT_TRUST=1 portcullis
 * pull` passes, `docker trust revoke` makes it refuse. Then
 * `portcullis key import-docker-trust` reads the trust directory the docker
 * CLI wrote: the pinned root and the three private keys.
 */
import assert from 'node:assert/strict';
import { chmod, copyFile, mkdir, mkdtemp, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { createPublicKey } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openNotaryService } from '../../../src/server/notary/index.js';
import { decryptPrivateKey } from '../../../src/trust/index.js';
import type { VerifyReport } from '../../../src/engine/trust/index.js';
import type { ImportDockerTrustReport } from '../../../src/engine/trust/index.js';
import { makeTls, notaryCli } from '../../support/notary.js';
import { peerImages, runCommand } from '../../support/peers.js';
import { skopeoCopy } from '../../support/skopeo.js';
import { startPortcullisRegistry, type PortcullisRegistry } from '../../support/registry-server.js';
import { cli, REPO_PASS, ROOT_PASS, trustHome } from './helpers.js';
import { manifestOf } from './notary-scenario.js';

const DOCKER_ROOT_PASS = 'docker-root-pass-41';
const DOCKER_REPO_PASS = 'docker-repo-pass-42';

let registry: PortcullisRegistry;
let closeNotary: () => Promise<void>;
let work: string;
let dockerConfig: string;
let certDir: string;
let ca: string;
let env: NodeJS.ProcessEnv;
let gun: string;

const dockerEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  DOCKER_CONFIG: dockerConfig,
  DOCKER_HOST: `unix://${join(work, 'no-daemon.sock')}`,
  DOCKER_CONTENT_TRUST_SERVER: registry.url,
  DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: DOCKER_ROOT_PASS,
  DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: DOCKER_REPO_PASS,
});

async function docker(args: string[]): Promise<string> {
  const r = await runCommand('docker', args, { env: dockerEnv(), timeoutMs: 120_000 });
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r.stdout + r.stderr;
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'dct-docker-'));
  const tls = await makeTls(join(work, 'tls'));
  ca = tls.ca;
  const notary = await openNotaryService({ root: join(work, 'notary') });
  closeNotary = () => notary.close();
  registry = await startPortcullisRegistry({ notary, tls: { cert: tls.cert, key: tls.key } });
  dockerConfig = join(work, 'docker');
  await mkdir(join(dockerConfig, 'tls', registry.host), { recursive: true });
  await copyFile(ca, join(dockerConfig, 'tls', registry.host, 'ca.crt'));
  certDir = join(work, 'certs');
  await mkdir(certDir);
  await copyFile(ca, join(certDir, 'ca.crt'));
  env = await trustHome();
  gun = `${registry.host}/docker/app`;
  await skopeoCopy((await peerImages('tiny')).tinyOci, `docker://${gun}:latest`);
});

after(async () => {
  await registry?.close();
  await closeNotary?.();
});

describe('docker trust against serve', () => {
  test('docker trust signer add + sign: pull passes and verify names targets/releases; docker trust revoke: refused', async () => {
    await docker(['trust', 'key', 'generate', 'alice', '--dir', work]);
    await docker(['trust', 'signer', 'add', '--key', join(work, 'alice.pub'), 'alice', gun]);
    // What `docker push` with DOCKER_CONTENT_TRUST=1 would publish (it needs a daemon): the tag in targets/releases.
    const m = await manifestOf(`${gun}:latest`);
    const notary = { server: registry.url, trustDir: join(dockerConfig, 'trust'), ca };
    // The docker passphrases, not the test defaults notaryCli sets.
    const pass = { NOTARY_ROOT_PASSPHRASE: DOCKER_ROOT_PASS, NOTARY_TARGETS_PASSPHRASE: DOCKER_REPO_PASS, NOTARY_DELEGATION_PASSPHRASE: DOCKER_REPO_PASS };
    const add = await notaryCli(notary, ['addhash', gun, 'latest', String(m.size), '--sha256', m.hex, '-r', 'targets/releases'], { env: pass });
    assert.equal(add.code, 0, add.stderr);
    const pub = await notaryCli(notary, ['publish', gun], { env: pass });
    assert.equal(pub.code, 0, pub.stderr);
    assert.match(await docker(['trust', 'sign', `${gun}:latest`]), /Successfully signed/);
    const inspect = JSON.parse(await docker(['trust', 'inspect', gun])) as Array<{ SignedTags: Array<{ SignedTag: string; Digest: string; Signers: string[] }> }>;
    assert.deepEqual(inspect[0]?.SignedTags.map((t) => [t.SignedTag, t.Digest, t.Signers]), [['latest', m.hex, ['alice']]]);

    const dest = `oci:${join(work, 'pulled')}:latest`;
    const pulled = await cli(['pull', `${gun}:latest`, dest, '--cert-dir', certDir], { ...env, PORTCULLIS_CONTENT_TRUST: '1' });
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.equal(pulled.stdout, `${m.digest}\n`);
    const v = await cli(['verify', `${gun}:latest`, '--cert-dir', certDir, '--format', 'json'], env);
    assert.equal(v.code, 0, v.stderr);
    const finding = (JSON.parse(v.stdout) as VerifyReport).notary?.finding;
    assert.equal(finding?.kind === 'signed' ? finding.role : finding?.kind, 'targets/releases');

    await docker(['trust', 'revoke', '--yes', `${gun}:latest`]);
    const refused = await cli(['pull', `${gun}:latest`, `oci:${join(work, 'revoked')}:latest`, '--cert-dir', certDir], { ...env, PORTCULLIS_CONTENT_TRUST: '1' });
    assert.equal(refused.code, 8);
    assert.match(refused.stderr, new RegExp(`notary: tag latest is not in Notary for ${gun} \\(revoked, removed or never signed\\)`));
    assert.doesNotMatch(refused.stderr, /remote trust data does not exist/);
  });

  test('key import-docker-trust: the root docker pinned and its keys, re-encrypted; a second run changes nothing', async () => {
    const home = await trustHome();
    const run = () =>
      cli(['key', 'import-docker-trust', join(dockerConfig, 'trust'), '--format', 'json'], {
        ...home,
        DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: DOCKER_ROOT_PASS,
        DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: DOCKER_REPO_PASS,
      });
    const first = await run();
    assert.equal(first.code, 0, first.stderr);
    const report = JSON.parse(first.stdout) as ImportDockerTrustReport;
    assert.deepEqual(report.roots.map((r) => [r.gun, r.status]), [[gun, 'pinned']]);
    assert.deepEqual(report.keys.map((k) => [k.role, k.status]).sort(), [['alice', 'imported'], ['root', 'imported'], ['targets', 'imported']]);
    assert.equal(report.keys.find((k) => k.role === 'targets')?.gun, gun);
    // Docker names key files by notary's key id: the same ids here.
    const dockerIds = (await readdir(join(dockerConfig, 'trust', 'private'))).map((n) => n.replace(/\.key$/, '')).sort();
    assert.deepEqual(report.keys.map((k) => k.id).sort(), dockerIds);

    const trustDir = join(home.PORTCULLIS_HOME ?? '', 'trust');
    const pinned = join(trustDir, 'tuf', ...gun.split('/'), 'root.json');
    assert.deepEqual(await readFile(pinned), await readFile(join(dockerConfig, 'trust', 'tuf', ...gun.split('/'), 'metadata', 'root.json')));
    assert.equal((await stat(pinned)).mode & 0o777, 0o600);
    assert.equal((await stat(join(trustDir, 'tuf', ...gun.split('/')))).mode & 0o777, 0o700);
    const keyFile = join(trustDir, 'notary', 'private', `${report.keys.find((k) => k.role === 'targets')?.id}.key`);
    assert.equal((await stat(keyFile)).mode & 0o777, 0o600);
    assert.equal((await stat(join(trustDir, 'notary', 'private'))).mode & 0o777, 0o700);
    // Re-encrypted under the portcullis passphrase (repository role), not Docker's.
    const opened = await decryptPrivateKey(await readFile(keyFile, 'utf8'), REPO_PASS);
    const rootFile = join(trustDir, 'notary', 'private', `${report.keys.find((k) => k.role === 'root')?.id}.key`);
    await decryptPrivateKey(await readFile(rootFile, 'utf8'), ROOT_PASS);
    await assert.rejects(decryptPrivateKey(await readFile(keyFile, 'utf8'), DOCKER_REPO_PASS));
    assert.equal(createPublicKey(opened.privateKey).asymmetricKeyDetails?.namedCurve, 'prime256v1');

    const second = await run();
    assert.equal(second.code, 0, second.stderr);
    const again = JSON.parse(second.stdout) as ImportDockerTrustReport;
    assert.deepEqual(again.roots.map((r) => r.status), ['unchanged']);
    assert.deepEqual(again.keys.map((k) => k.status), ['unchanged', 'unchanged', 'unchanged']);
  });

  test('import-docker-trust: a wrong Docker passphrase fails that key (exit 1); a GUN pinned to another root is kept', async () => {
    const home = await trustHome();
    const wrong = await cli(['key', 'import-docker-trust', join(dockerConfig, 'trust')], {
      ...home,
      DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: 'not-it',
      DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: DOCKER_REPO_PASS,
    });
    assert.equal(wrong.code, 1, wrong.stderr);
    assert.match(wrong.stdout, /key {3}[0-9a-f]{12} root: failed \(the passphrase does not open .* \(role root\)\)/);
    assert.match(wrong.stdout, new RegExp(`root  ${gun} v1: pinned`));
    // Pretend portcullis already pinned another root for this GUN: Docker's does not replace it without --replace.
    const pinned = join(home.PORTCULLIS_HOME ?? '', 'trust', 'tuf', ...gun.split('/'), 'root.json');
    const original = await readFile(pinned);
    await chmod(pinned, 0o600);
    await writeFile(pinned, Buffer.concat([original, Buffer.from(' ')]));
    const kept = await cli(['key', 'import-docker-trust', join(dockerConfig, 'trust'), '--format', 'json'], { ...home, DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: DOCKER_ROOT_PASS, DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: DOCKER_REPO_PASS });
    assert.deepEqual((JSON.parse(kept.stdout) as ImportDockerTrustReport).roots.map((r) => r.status), ['kept']);
    const replaced = await cli(['key', 'import-docker-trust', join(dockerConfig, 'trust'), '--format', 'json', '--replace'], { ...home, DOCKER_CONTENT_TRUST_ROOT_PASSPHRASE: DOCKER_ROOT_PASS, DOCKER_CONTENT_TRUST_REPOSITORY_PASSPHRASE: DOCKER_REPO_PASS });
    assert.deepEqual((JSON.parse(replaced.stdout) as ImportDockerTrustReport).roots.map((r) => r.status), ['pinned']);
    assert.deepEqual(await readFile(pinned), original);
  });
});
