/**
 * TLS against docker-registry with a self-signed CA: trusted through a
 * certDir (containers' certs.d layout), refused without it, accepted
 * unverified with tlsVerify false; and certDir client pairs.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DockerTransport } from '../../../../src/image/transports/docker/transport.js';
import { loadTlsSettings } from '../../../../src/image/transports/docker/tls.js';
import type { SystemContext } from '../../../../src/image/types.js';
import { peerImages, runCommand, startRegistry, type RegistryPeer } from '../../../support/peers.js';
import { caught, drain, readLayout, type Layout } from './helpers.js';

let peer: RegistryPeer;
let layout: Layout;
let dir: string;
let certDir: string;
const transport = new DockerTransport();

before(async () => {
  layout = await readLayout((await peerImages('tiny')).tinyOci);
  peer = await startRegistry({ tls: true });
  assert.ok(peer.ca, 'registry.sh printed REGISTRY_CA');
  dir = await mkdtemp(join(tmpdir(), 'portcullis-tls-'));
  certDir = join(dir, 'certs');
  await runCommand('mkdir', ['-p', certDir]);
  await copyFile(peer.ca, join(certDir, 'ca.crt'));
  const pushed = await runCommand('skopeo', ['copy', `--dest-cert-dir=${certDir}`, `oci:${layout.dir}:latest`, `docker://${peer.host}/peers/tiny:latest`]);
  assert.equal(pushed.code, 0, pushed.stderr);
});

after(async () => {
  await peer?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function ctx(extra: SystemContext): SystemContext {
  return { env: { HOME: dir }, retries: 0, ...extra };
}

async function pull(context: SystemContext): Promise<void> {
  const source = await transport.parseReference(`${peer.host}/peers/tiny:latest`).newSource(context);
  try {
    const manifest = await source.getManifest();
    assert.equal(manifest.digest, layout.manifest.digest);
    const config = await drain(await source.getBlob(layout.parsed.config));
    assert.equal(config.length, layout.parsed.config.size);
  } finally {
    await source.close();
  }
}

describe('TLS', () => {
  it('trusts the registry through a certDir holding its CA', async () => {
    await pull(ctx({ certDir }));
  });

  it('fails with TLS without the CA, and does not fall back to http', async () => {
    const error = await caught(() => pull(ctx({})));
    assert.equal(error.code, 'TLS');
    const empty = join(dir, 'empty');
    await runCommand('mkdir', ['-p', empty]);
    assert.equal((await caught(() => pull(ctx({ certDir: empty })))).code, 'TLS');
  });

  it('talks to it unverified with tlsVerify false', async () => {
    await pull(ctx({ tlsVerify: false }));
  });

  it('pushes over verified TLS', async () => {
    const destination = await transport.parseReference(`${peer.host}/ours/tiny:tls`).newDestination(ctx({ certDir }));
    try {
      for (const blob of layout.blobs) {
        const { createReadStream } = await import('node:fs');
        await destination.putBlob(blob, createReadStream(join(layout.dir, 'blobs', 'sha256', blob.digest.slice(7))));
      }
      await destination.putManifest(layout.manifest);
    } finally {
      await destination.close();
    }
    const raw = await runCommand('skopeo', ['inspect', '--raw', `--cert-dir=${certDir}`, `docker://${peer.host}/ours/tiny:tls`]);
    assert.equal(raw.code, 0, raw.stderr);
    assert.equal(raw.stdout, layout.manifest.bytes.toString('utf8'));
  });

  it('loads client certificate pairs from certDir and rejects a key without its cert', async () => {
    const pairDir = join(dir, 'pair');
    await runCommand('mkdir', ['-p', pairDir]);
    const made = await runCommand('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=client',
      '-days', '1', '-keyout', join(pairDir, 'client.key'), '-out', join(pairDir, 'client.cert'),
    ]);
    assert.equal(made.code, 0, made.stderr);
    await copyFile(peer.ca!, join(pairDir, 'ca.crt'));
    const settings = await loadTlsSettings({ certDir: pairDir });
    assert.ok(settings.cert && settings.key, 'client pair loaded');
    assert.ok(settings.ca?.some((c) => c.includes('BEGIN CERTIFICATE')));
    await pull(ctx({ certDir: pairDir })); // the registry does not ask for it, but the handshake works with it
    await writeFile(join(pairDir, 'lonely.key'), 'x');
    assert.equal((await caught(() => loadTlsSettings({ certDir: pairDir }))).code, 'TLS');
  });
});
