/**
 * The Bearer token flow against docker-registry 2.8 with `auth: token`, and a
 * token issuer written here: anonymous pull where the issuer allows it,
 * authenticated push, token caching per scope, `access_token` answers,
 * cross-repository mount with two scopes, and refusals as UNAUTHORIZED.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { login } from '../../../../src/image/auth/login.js';
import { RegistryClient } from '../../../../src/image/transports/docker/client.js';
import { DockerTransport } from '../../../../src/image/transports/docker/transport.js';
import type { SystemContext } from '../../../../src/image/types.js';
import { peerImages, runCommand } from '../../../support/peers.js';
import { caught, drain, pushLayout, readLayout, type Layout } from './helpers.js';
import { PASSWORD, startTokenRegistry, USER, type TokenRegistry } from '../../../support/token-registry.js';

let registry: TokenRegistry;
let layout: Layout;
let dir: string;
const transport = new DockerTransport();
const credentials = { username: USER, password: PASSWORD };

before(async () => {
  layout = await readLayout((await peerImages('tiny')).tinyOci);
  dir = await mkdtemp(join(tmpdir(), 'portcullis-bearer-'));
  registry = await startTokenRegistry(dir);
});

after(async () => {
  await registry?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function ctx(extra: SystemContext = {}): SystemContext {
  return { tlsVerify: false, env: { HOME: dir, PATH: process.env.PATH ?? '' }, ...extra };
}

async function push(name: string, context: SystemContext): Promise<void> {
  const destination = await transport.parseReference(`${registry.host}/${name}`).newDestination(context);
  try {
    await pushLayout(destination, layout);
  } finally {
    await destination.close();
  }
}

describe('Bearer token auth', () => {
  it('pushes with credentials, asking the realm for pull,push with Basic', async () => {
    registry.tokenRequests.length = 0;
    await push('public/tiny:latest', ctx({ credentials }));
    const asked = registry.tokenRequests.filter((r) => !r.rejected);
    assert.ok(asked.some((r) => r.user === USER && r.scopes.includes('repository:public/tiny:pull,push')), JSON.stringify(asked));
    const raw = await runCommand('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/public/tiny:latest`]);
    assert.equal(raw.code, 0, raw.stderr);
    assert.equal(raw.stdout, layout.manifest.bytes.toString('utf8'));
  });

  it('pulls anonymously where the issuer allows it, caching the token per scope', async () => {
    registry.tokenRequests.length = 0;
    const source = await transport.parseReference(`${registry.host}/public/tiny:latest`).newSource(ctx());
    try {
      const manifest = await source.getManifest();
      assert.equal(manifest.digest, layout.manifest.digest);
      for (const blob of layout.blobs) assert.equal((await drain(await source.getBlob(blob))).length, blob.size);
    } finally {
      await source.close();
    }
    assert.equal(registry.tokenRequests.length, 1, JSON.stringify(registry.tokenRequests));
    assert.deepEqual(registry.tokenRequests[0], { scopes: ['repository:public/tiny:pull'], user: undefined, rejected: false });
  });

  it('is UNAUTHORIZED anonymously where the issuer grants nothing, and for a wrong password', async () => {
    await push('private/tiny:latest', ctx({ credentials }));
    const anonymous = await caught(async () => {
      const source = await transport.parseReference(`${registry.host}/private/tiny:latest`).newSource(ctx());
      try {
        await source.getManifest();
      } finally {
        await source.close();
      }
    });
    assert.equal(anonymous.code, 'UNAUTHORIZED');
    const wrong = await caught(async () => {
      const source = await transport.parseReference(`${registry.host}/private/tiny:latest`).newSource(ctx({ credentials: { username: USER, password: 'nope' } }));
      try {
        await source.getManifest();
      } finally {
        await source.close();
      }
    });
    assert.equal(wrong.code, 'UNAUTHORIZED');
    const anonymousPush = await caught(() => push('public/other:latest', ctx()));
    assert.equal(anonymousPush.code, 'UNAUTHORIZED');
  });

  it('accepts token responses that use access_token', async () => {
    registry.field = 'access_token';
    try {
      const source = await transport.parseReference(`${registry.host}/private/tiny:latest`).newSource(ctx({ credentials }));
      try {
        assert.equal((await source.getManifest()).digest, layout.manifest.digest);
      } finally {
        await source.close();
      }
    } finally {
      registry.field = 'token';
    }
  });

  it('mounts across repositories with a token for both scopes', async () => {
    registry.tokenRequests.length = 0;
    const c = await RegistryClient.create({ registry: registry.host, tlsVerify: false, credentials });
    const layer = layout.parsed.layers[0]!;
    try {
      assert.equal(await c.mountBlob('private/mounted', layer.digest, 'private/tiny'), true);
      assert.equal((await c.headBlob('private/mounted', layer.digest))?.size, layer.size);
    } finally {
      await c.close();
    }
    const scopes = registry.tokenRequests.map((r) => r.scopes);
    assert.ok(scopes.some((s) => s.includes('repository:private/mounted:pull,push') && s.includes('repository:private/tiny:pull')), JSON.stringify(scopes));
  });

  it('login checks credentials with the realm before writing the auth file', async () => {
    const authFile = join(dir, 'login', 'auth.json');
    const bad = await caught(() => login(registry.host, { username: USER, password: 'nope' }, { authFile, context: ctx() }));
    assert.equal(bad.code, 'UNAUTHORIZED');
    assert.equal(await stat(authFile).then(() => true, () => false), false, 'nothing written for bad credentials');
    await login(registry.host, credentials, { authFile, context: ctx() });
    assert.equal((await stat(authFile)).mode & 0o777, 0o600);
    const source = await transport.parseReference(`${registry.host}/private/tiny:latest`).newSource(ctx({ authFile }));
    try {
      assert.equal((await source.getManifest()).digest, layout.manifest.digest);
    } finally {
      await source.close();
    }
  });
});
