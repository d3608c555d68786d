/**
 * Docker Content Trust with the real notary-server (../shared/peers/notary.sh)
 * beside the real docker-registry: the same cases as against `serve`
 * (notary-scenario.ts), plus a targets/releases delegation. The server is
 * named by DOCKER_CONTENT_TRUST_SERVER, its CA is in the --cert-dir.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, before, describe } from 'node:test';
import { startNotaryPeer, type CliTarget, type NotaryPeer } from '../../support/notary.js';
import { peerImages, startRegistry, type RegistryPeer } from '../../support/peers.js';
import { cli, trustHome } from './helpers.js';
import { notaryScenario } from './notary-scenario.js';

let peer: NotaryPeer;
let registry: RegistryPeer;
let certDir: string;
let env: NodeJS.ProcessEnv;
let tinyOci: string;

before(async () => {
  peer = await startNotaryPeer();
  registry = await startRegistry();
  const work = await mkdtemp(join(tmpdir(), 'dct-notary-server-'));
  certDir = join(work, 'certs');
  await mkdir(certDir);
  await copyFile(peer.ca, join(certDir, 'notary-ca.crt'));
  env = { ...(await trustHome()), DOCKER_CONTENT_TRUST_SERVER: peer.url };
  assert.equal((await cli(['key', 'generate'], env)).code, 0);
  tinyOci = (await peerImages('tiny')).tinyOci;
});

after(async () => {
  await registry?.stop();
});

describe('content trust with the real notary-server', () => {
  notaryScenario({
    host: () => registry.host,
    // The shared server's CLI trust dir holds one root key for every GUN (notary.sh); GUNs are unique per run.
    notary: (): CliTarget => ({ server: peer.url, trustDir: peer.trustDir, ca: peer.ca }),
    flags: () => ['--cert-dir', certDir],
    env: () => env,
    tinyOci: () => tinyOci,
    releases: true,
    prefix: `dct-${randomBytes(4).toString('hex')}`,
  });
});
