/**
 * Builds examples/hello, the small OCI image layout the README's first command
 * inspects, so a new user needs no registry or network to try portcullis.
 * Deterministic (fixed timestamps, sorted entries): re-running it reproduces
 * the same digests. Run: npx tsx examples/make-hello.ts
 */
import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { pack, type Header } from 'tar-stream';

type HeaderArgument = Partial<Header> & Pick<Header, 'name'>;

const OUT = join(dirname(fileURLToPath(import.meta.url)), 'hello');
const MTIME = new Date('2026-01-01T00:00:00Z');

interface Entry {
  name: string;
  body?: string;
  mode?: number;
  type?: Header['type'];
  linkname?: string;
}

async function tarOf(entries: Entry[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((resolve, reject) => {
    p.on('end', resolve);
    p.on('error', reject);
  });
  for (const e of entries) {
    const header: HeaderArgument = { name: e.name, mode: e.mode ?? 0o644, mtime: MTIME, uid: 0, gid: 0, type: e.type ?? 'file' };
    if (e.linkname) header.linkname = e.linkname;
    p.entry(header, e.body ?? '');
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

async function writeBlob(data: Buffer | string): Promise<{ digest: string; size: number }> {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
  const hex = sha(buf);
  await writeFile(join(OUT, 'blobs', 'sha256', hex), buf);
  return { digest: `sha256:${hex}`, size: buf.length };
}

const osRelease = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
`;
const dpkgStatus = `Package: zlib1g
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 168
Maintainer: Mark Brown <broonie@debian.org>
Architecture: amd64
Multi-Arch: same
Source: zlib
Version: 1:1.2.13.dfsg-1
Description: compression library - runtime

`;

async function main(): Promise<void> {
  await rm(OUT, { recursive: true, force: true });
  await mkdir(join(OUT, 'blobs', 'sha256'), { recursive: true });
  const base = await tarOf([
    { name: 'etc/', type: 'directory', mode: 0o755 },
    { name: 'etc/os-release', type: 'symlink', linkname: '../usr/lib/os-release' },
    { name: 'etc/passwd', body: 'root:x:0:0:root:/root:/bin/sh\n' },
    { name: 'usr/', type: 'directory', mode: 0o755 },
    { name: 'usr/lib/', type: 'directory', mode: 0o755 },
    { name: 'usr/lib/os-release', body: osRelease },
    { name: 'var/', type: 'directory', mode: 0o755 },
    { name: 'var/lib/', type: 'directory', mode: 0o755 },
    { name: 'var/lib/dpkg/', type: 'directory', mode: 0o755 },
    { name: 'var/lib/dpkg/status', body: dpkgStatus },
    { name: 'tmp/', type: 'directory', mode: 0o1777 },
    { name: 'tmp/build-cache.txt', body: 'left behind by the build\n' },
  ]);
  const app = await tarOf([
    { name: 'app/', type: 'directory', mode: 0o755 },
    { name: 'app/hello.sh', body: '#!/bin/sh\necho "hello from portcullis"\n', mode: 0o755 },
    { name: 'app/package.json', body: '{"name":"hello","version":"1.0.0","dependencies":{"lodash":"4.17.15"}}\n' },
    { name: 'app/node_modules/', type: 'directory', mode: 0o755 },
    { name: 'app/node_modules/lodash/', type: 'directory', mode: 0o755 },
    { name: 'app/node_modules/lodash/package.json', body: '{"name":"lodash","version":"4.17.15","license":"MIT"}\n' },
    { name: 'tmp/', type: 'directory', mode: 0o1777 },
    { name: 'tmp/.wh.build-cache.txt', body: '' },
  ]);
  const layers = [];
  for (const tar of [base, app]) {
    const blob = await writeBlob(gzipSync(tar, { level: 9 }));
    layers.push({ ...blob, diffId: `sha256:${sha(tar)}` });
  }
  const config = {
    created: MTIME.toISOString(),
    architecture: 'amd64',
    os: 'linux',
    config: {
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      Cmd: ['/app/hello.sh'],
      WorkingDir: '/app',
      Labels: { 'org.opencontainers.image.title': 'portcullis hello example' },
    },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: [
      { created: MTIME.toISOString(), created_by: 'base: os-release, passwd, dpkg status (zlib1g)' },
      { created: MTIME.toISOString(), created_by: 'COPY app/ /app/ # with node_modules/lodash 4.17.15' },
    ],
  };
  const configBlob = await writeBlob(JSON.stringify(config));
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...configBlob },
    layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: l.digest, size: l.size })),
  };
  const manifestBlob = await writeBlob(JSON.stringify(manifest));
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      {
        mediaType: manifest.mediaType,
        ...manifestBlob,
        annotations: { 'org.opencontainers.image.ref.name': 'latest' },
        platform: { architecture: 'amd64', os: 'linux' },
      },
    ],
  };
  await writeFile(join(OUT, 'index.json'), JSON.stringify(index));
  await writeFile(join(OUT, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  process.stdout.write(`examples/hello: ${manifestBlob.digest}\n`);
}

await main();
