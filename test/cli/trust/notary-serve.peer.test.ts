/**
 * Docker Content Trust against `portcullis serve`'s own Notary service, on
 * the registry's host and port: with PORTCULLIS_CONTENT_TRUST=1, `pull`
 * asks https://REGISTRY with no Notary flag (only the registry's --cert-dir).
 * The cases are in notary-scenario.ts, shared with the real notary-server.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openNotaryService } from '../../../src/server/notary/index.js';
import { makeTls, type CliTarget } from '../../support/notary.js';
import { peerImages } from '../../support/peers.js';
import { startPortcullisRegistry, type PortcullisRegistry } from '../../support/registry-server.js';
import { cli, trustHome } from './helpers.js';
import { notaryScenario } from './notary-scenario.js';

let registry: PortcullisRegistry;
let closeNotary: () => Promise<void>;
let target: CliTarget;
let certDir: string;
let env: NodeJS.ProcessEnv;
let tinyOci: string;

before(async () => {
  const work = await mkdtemp(join(tmpdir(), 'dct-serve-'));
  const tls = await makeTls(join(work, 'tls'));
  const notary = await openNotaryService({ root: join(work, 'notary') });
  closeNotary = () => notary.close();
  registry = await startPortcullisRegistry({ notary, tls: { cert: tls.cert, key: tls.key } });
  target = { server: registry.url, trustDir: join(work, 'notary-cli'), ca: tls.ca };
  certDir = join(work, 'certs');
  await mkdir(certDir);
  await copyFile(tls.ca, join(certDir, 'ca.crt'));
  env = await trustHome();
  assert.equal((await cli(['key', 'generate'], env)).code, 0);
  tinyOci = (await peerImages('tiny')).tinyOci;
});

after(async () => {
  await registry?.close();
  await closeNotary?.();
});

describe('content trust with serve\'s Notary service', () => {
  notaryScenario({
    host: () => registry.host,
    notary: () => target,
    flags: () => ['--cert-dir', certDir],
    env: () => env,
    tinyOci: () => tinyOci,
    prefix: 'dct',
  });

  test('an explicitly configured Notary server that cannot be reached refuses (fail closed)', async () => {
    const r = await cli(['pull', `${registry.host}/dct/signed:latest`, `oci:${join(certDir, 'x')}:x`, '--cert-dir', certDir, '--notary-server', 'https://127.0.0.1:1'], { ...env, PORTCULLIS_CONTENT_TRUST: '1' });
    assert.equal(r.code, 8, r.stderr);
    assert.match(r.stderr, /notary requirement not met: the Notary server cannot be asked for \S+: /);
  });
});
