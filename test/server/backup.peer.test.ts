/**
 * The backup and restore procedure of docs/serve.md ("Backup and restore"),
 * followed literally on a running `portcullis serve` with the real tools it
 * names: `sqlite3 … ".backup …"` for the databases while the server runs,
 * then a copy of the blobs and the key folders; the restored folder is served
 * by a new process. What is checked: skopeo pulls every image from the
 * restored registry with the same manifest digests, the Notary data and the
 * token signing key came back (0600 files in 0700 folders), and a garbage
 * collection dry run on the restored folder finds nothing to delete (the
 * metadata and the blobs agree).
 */
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../support/cli.js';
import { peerImages, runCommand, type PeerImages } from '../support/peers.js';
import { missingPeer } from '../support/require-peer.js';
import { startServeProcess, type ServeProcess } from '../support/serve-process.js';

const PASSWORD = 'backup-admin-password';
let work: string;
let images: PeerImages;

before(async () => {
  images = await peerImages('tiny');
  work = await mkdtemp(join(tmpdir(), 'portcullis-backup-'));
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

async function skopeo(args: string[]): Promise<string> {
  const r = await runCommand('skopeo', args);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

async function manifestDigest(host: string, ref: string): Promise<string> {
  const out = await skopeo(['inspect', '--tls-verify=false', '--creds', `admin:${PASSWORD}`, '--format', '{{.Digest}}', `docker://${host}/${ref}`]);
  return out.trim();
}

test('a backup taken while serve runs restores into a registry that serves the same images', async (t) => {
  for (const [tool, install] of [['sqlite3', 'sqlite3'], ['skopeo', 'skopeo']] as const) {
    if ((await runCommand(tool, ['--version'])).code === 127) return missingPeer(t, `${tool} (apt-get install ${install})`);
  }
  const root = join(work, 'root');
  const backup = join(work, 'backup');
  let serve: ServeProcess | undefined = await startServeProcess(['--accounts', '--root', root, '--no-scan'], { env: { PORTCULLIS_ADMIN_PASSWORD: PASSWORD } });
  let restored: ServeProcess | undefined;
  try {
    const host = new URL(serve.url).host;
    for (const tag of ['one', 'two']) {
      await skopeo(['copy', '-q', '--dest-tls-verify=false', '--dest-creds', `admin:${PASSWORD}`, images.tinyOci, `docker://${host}/team/app:${tag}`]);
    }
    const before = { one: await manifestDigest(host, 'team/app:one'), two: await manifestDigest(host, 'team/app:two') };

    // The procedure, step by step, while the server runs.
    await mkdir(backup, { recursive: true });
    const r = await runCommand('sqlite3', [join(root, 'registry.sqlite'), `.backup '${join(backup, 'registry.sqlite')}'`]);
    assert.equal(r.code, 0, r.stderr);
    await cp(join(root, 'blobs'), join(backup, 'blobs'), { recursive: true });
    await cp(join(root, 'auth'), join(backup, 'auth'), { recursive: true });
    await cp(join(root, 'notary'), join(backup, 'notary'), { recursive: true });
    await serve.stop();
    serve = undefined;

    restored = await startServeProcess(['--accounts', '--root', backup, '--no-scan']);
    const restoredHost = new URL(restored.url).host;
    assert.deepEqual({ one: await manifestDigest(restoredHost, 'team/app:one'), two: await manifestDigest(restoredHost, 'team/app:two') }, before, 'the admin account and both tags came back');
    await skopeo(['copy', '-q', '--src-tls-verify=false', '--src-creds', `admin:${PASSWORD}`, `docker://${restoredHost}/team/app:two`, `oci:${join(work, 'out')}:two`]);
    const key = await stat(join(backup, 'auth', 'token-signing-key.pem'));
    assert.equal(key.mode & 0o777, 0o600, 'cp keeps the signing key private');
    assert.equal((await stat(join(backup, 'notary', 'key-encryption.key'))).mode & 0o777, 0o600, 'and the Notary key-encryption key');
    await restored.stop();
    restored = undefined;

    const gc = await runCli(['registry', 'gc', '--root', backup, '--dry-run', '--grace', '0', '--json']);
    assert.equal(gc.code, 0, gc.stderr);
    const report = JSON.parse(gc.stdout) as { blobsDeleted: number; manifestsDeleted: number; orphansDeleted: number };
    assert.deepEqual({ blobs: report.blobsDeleted, manifests: report.manifestsDeleted, orphans: report.orphansDeleted }, { blobs: 0, manifests: 0, orphans: 0 });
  } finally {
    await serve?.stop();
    await restored?.stop();
  }
});
