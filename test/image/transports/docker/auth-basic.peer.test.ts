/**
 * Basic auth against docker-registry with htpasswd (REGISTRY_AUTH=1): the
 * right credentials push and pull, wrong or missing ones are UNAUTHORIZED,
 * and credentials found in an auth file are used by the transport.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DockerTransport } from '../../../../src/image/transports/docker/transport.js';
import type { SystemContext } from '../../../../src/image/types.js';
import { peerImages, runCommand, startRegistry, type RegistryPeer } from '../../../support/peers.js';
import { caught, pushLayout, readLayout, type Layout } from './helpers.js';

let peer: RegistryPeer;
let layout: Layout;
let home: string;
const transport = new DockerTransport();

before(async () => {
  layout = await readLayout((await peerImages('tiny')).tinyOci);
  peer = await startRegistry({ auth: true });
  home = await mkdtemp(join(tmpdir(), 'portcullis-basic-'));
});

after(async () => {
  await peer?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

function ctx(extra: SystemContext = {}): SystemContext {
  return { tlsVerify: false, env: { HOME: home, PATH: process.env.PATH ?? '' }, ...extra };
}

async function getManifest(context: SystemContext, name = 'ours/tiny:basic') {
  const source = await transport.parseReference(`${peer.host}/${name}`).newSource(context);
  try {
    return await source.getManifest();
  } finally {
    await source.close();
  }
}

describe('Basic auth', () => {
  it('pushes and pulls with the right credentials', async () => {
    const credentials = { username: peer.user!, password: peer.password! };
    const destination = await transport.parseReference(`${peer.host}/ours/tiny:basic`).newDestination(ctx({ credentials }));
    try {
      await pushLayout(destination, layout);
    } finally {
      await destination.close();
    }
    assert.equal((await getManifest(ctx({ credentials }))).digest, layout.manifest.digest);
    const raw = await runCommand('skopeo', ['inspect', '--raw', '--tls-verify=false', `--creds=${peer.user}:${peer.password}`, `docker://${peer.host}/ours/tiny:basic`]);
    assert.equal(raw.code, 0, raw.stderr);
    assert.equal(raw.stdout, layout.manifest.bytes.toString('utf8'));
  });

  it('is UNAUTHORIZED with a wrong password', async () => {
    const error = await caught(() => getManifest(ctx({ credentials: { username: peer.user!, password: 'wrong' } })));
    assert.equal(error.code, 'UNAUTHORIZED');
    assert.doesNotMatch(error.message, /wrong/, 'the password is not in the message');
  });

  it('is UNAUTHORIZED without credentials', async () => {
    assert.equal((await caught(() => getManifest(ctx()))).code, 'UNAUTHORIZED');
    const push = await caught(async () => {
      const destination = await transport.parseReference(`${peer.host}/ours/anon:x`).newDestination(ctx());
      try {
        await pushLayout(destination, layout);
      } finally {
        await destination.close();
      }
    });
    assert.equal(push.code, 'UNAUTHORIZED');
  });

  it('uses credentials from an auth file (authFile, then docker config)', async () => {
    const authFile = join(home, 'auth.json');
    const auth = Buffer.from(`${peer.user}:${peer.password}`).toString('base64');
    await writeFile(authFile, JSON.stringify({ auths: { [peer.host]: { auth } } }), { mode: 0o600 });
    assert.equal((await getManifest(ctx({ authFile }))).digest, layout.manifest.digest);
    await runCommand('mkdir', ['-p', join(home, '.docker')]);
    await writeFile(join(home, '.docker', 'config.json'), JSON.stringify({ auths: { [`http://${peer.host}`]: { auth } } }));
    assert.equal((await getManifest(ctx())).digest, layout.manifest.digest);
  });
});
