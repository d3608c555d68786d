/**
 * Files the user names, as a shell runs the CLI (issue "Fail closed, stay
 * up"): `-o` never replaces a character device or FIFO (as root, `-o
 * /dev/null` used to turn /dev/null into a regular file), a FIFO gets the
 * bytes, a directory is refused, a regular file is replaced atomically; a
 * FIFO named as an input is refused at once instead of blocking forever.
 *
 * Every command that could block runs as a child process with a timeout, so
 * a regression fails here instead of hanging the suite. The real /dev/null is
 * written only after the same commands left a private copy of it (mknod c 1 3
 * in a temp directory) a character device.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { importPaths } from '../../src/vuln/db.js';
import { buildLayout, type BuiltLayout } from '../support/oci-builder.js';
import { CLI, VULNDATA } from '../support/paths.js';
import { runCommand } from '../support/peers.js';

/** A child process may take this long; a command blocked on a FIFO is killed then (and the test fails). */
const CHILD_TIMEOUT_MS = 60_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let work: string;
let layout: BuiltLayout;
let db: string;
let rootfs: string;
const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  NO_COLOR: '1',
  PORTCULLIS_HOME: join(work, 'home'),
  PORTCULLIS_CACHE_DIR: join(work, 'cache'),
  PORTCULLIS_CONTENT_TRUST: '',
  PORTCULLIS_TEST_SCRYPT_N: '16384',
  ...extra,
});

function cli(args: readonly string[], extra: NodeJS.ProcessEnv = {}): Promise<Run> {
  return runCommand(process.execPath, [CLI, ...args], { env: env(extra), cwd: work, timeoutMs: CHILD_TIMEOUT_MS });
}

function assertFails(result: Run, code: number, pattern: RegExp): void {
  assert.equal(result.code, code, `exit code; stderr: ${result.stderr}`);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, got: ${result.stderr}`);
  assert.match(lines[0] ?? '', /^portcullis: /);
  assert.match(lines[0] ?? '', pattern);
}

function fifo(name: string): string {
  const path = join(work, name);
  execFileSync('mkfifo', [path]);
  return path;
}

const isRoot = process.getuid?.() === 0;

/** A private null device (needs root): the same device as /dev/null, at a path a bug may replace safely. */
function privateNullDevice(name: string): string {
  const path = join(work, name);
  execFileSync('mknod', ['-m', '666', path, 'c', '1', '3']);
  return path;
}

function assertNullDevice(path: string): void {
  const info = lstatSync(path);
  assert.ok(info.isCharacterDevice(), `${path} is still a character device`);
  assert.equal(info.rdev, statSync('/dev/null').rdev, `${path} is still the null device`);
}

/** Reads a FIFO to its end in a child process (`cat`), so the reader can never block the test itself. */
function readFifo(path: string): { bytes: Promise<Buffer>; stop(): void } {
  const child = spawn('cat', [path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const chunks: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => chunks.push(c));
  const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
  const bytes = new Promise<Buffer>((resolve) => {
    child.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
  });
  return { bytes, stop: () => child.kill('SIGKILL') };
}

const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'portcullis-user-files-'));
  layout = await buildLayout({
    layers: [{ entries: [{ name: 'etc/os-release', body: 'ID=alpine\nVERSION_ID=3.4.6\nPRETTY_NAME="Alpine Linux v3.4"\n' }] }],
  });
  db = join(work, 'db.sqlite');
  await importPaths(db, [join(VULNDATA, 'alpine-secdb/yaml/v3.4/main.yaml')]);
  rootfs = join(work, 'rootfs');
  mkdirSync(join(rootfs, 'etc'), { recursive: true });
  writeFileSync(join(rootfs, 'etc/os-release'), 'ID=alpine\nVERSION_ID=3.4.6\n');
});

after(() => {
  // The mknod'd devices live only in work; removing them removes the names, never /dev/null.
  rmSync(work, { recursive: true, force: true });
  assertNullDevice('/dev/null');
});

describe('-o and other outputs', () => {
  test('-o to a character device writes into it and leaves it a device; then the same on the real /dev/null', async (t) => {
    if (!isRoot) {
      assert.ok(!process.env.CI, 'CI runs as root: mknod is needed for this test');
      t.skip('mknod needs root');
      return;
    }
    const dev = privateNullDevice('null-copy');
    const commands: string[][] = [
      ['sbom', layout.name, '-q', '--format', 'json', '-o', dev],
      ['sbom', layout.name, '-q', '-o', dev],
      ['lint', layout.name, '-q', '-o', dev],
      ['scan', '--rootfs', rootfs, '--db', db, '-q', '--format', 'sarif', '-o', dev],
      ['copy', layout.name, `oci-archive:${dev}`, '-q'],
      ['copy', layout.name, `docker-archive:${dev}:x/y:1`, '-q'],
    ];
    for (const args of commands) {
      const r = await cli(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assertNullDevice(dev);
    }
    // The database is swapped in by rename: a device named as --db is refused, not replaced.
    assertFails(await cli(['db', 'pull', layout.name, '--db', dev, '-q']), 10, /is not a regular file \(it is a character device\)$/);
    assertNullDevice(dev);
    assert.deepEqual(readdirSync(work).filter((f) => f.includes('.tmp-')), [], 'no temp file left beside the device');
    // Only now the real one: the same commands just left a private copy of it intact.
    for (const args of [
      ['sbom', layout.name, '-q', '-o', '/dev/null'],
      ['copy', layout.name, 'docker-archive:/dev/null:x/y:1', '-q'],
      ['copy', layout.name, 'oci-archive:/dev/null', '-q'],
    ]) {
      const r = await cli(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assertNullDevice('/dev/null');
    }
    assert.equal(readFileSync('/dev/null').length, 0);
  });

  test('-o to a FIFO streams the bytes to its reader, the same bytes as a regular file gets', async () => {
    const regular = join(work, 'sbom.json');
    const r = await cli(['sbom', layout.name, '-q', '--format', 'json', '-o', regular]);
    assert.equal(r.code, 0, r.stderr);
    const pipe = fifo('sbom.fifo');
    const reader = readFifo(pipe);
    const w = await cli(['sbom', layout.name, '-q', '--format', 'json', '-o', pipe]);
    assert.equal(w.code, 0, w.stderr);
    const got = await reader.bytes;
    assert.ok(got.length > 100);
    assert.equal(got.toString('utf8'), readFileSync(regular, 'utf8'));
    assert.ok(lstatSync(pipe).isFIFO(), 'still a FIFO');

    // An archive is built aside and streamed in whole: the reader gets the archive a file gets.
    const file = join(work, 'image.tar');
    const c = await cli(['copy', layout.name, `docker-archive:${file}:x/y:1`, '-q']);
    assert.equal(c.code, 0, c.stderr);
    const tarPipe = fifo('image.fifo');
    const tarReader = readFifo(tarPipe);
    const cp = await cli(['copy', layout.name, `docker-archive:${tarPipe}:x/y:1`, '-q']);
    assert.equal(cp.code, 0, cp.stderr);
    assert.equal(sha(await tarReader.bytes), sha(readFileSync(file)));
    assert.ok(lstatSync(tarPipe).isFIFO());
    assert.deepEqual(readdirSync(tmpdir()).filter((f) => f.startsWith('.portcullis-image.fifo')), [], 'the staging file is removed');
  });

  test('-o to a directory is refused with exit 10; -o into a missing directory too', async () => {
    const dir = join(work, 'a-directory');
    mkdirSync(dir);
    assertFails(await cli(['sbom', layout.name, '-q', '-o', dir]), 10, new RegExp(`^portcullis: cannot write ${dir}: it is a directory$`));
    assertFails(await cli(['scan', '--rootfs', rootfs, '--db', db, '-q', '-o', dir]), 10, /it is a directory/);
    assertFails(await cli(['lint', layout.name, '-q', '-o', dir]), 10, /it is a directory/);
    assert.deepEqual(readdirSync(dir), [], 'nothing written inside it');
    const missing = join(work, 'no-such-dir', 'report.json');
    assertFails(await cli(['sbom', layout.name, '-q', '-o', missing]), 10, /cannot write .*no-such-dir\/report\.json: its directory does not exist/);
  });

  test('-o over an existing regular file replaces it atomically (new inode, mode kept, no temp left); a symlink is followed', async () => {
    const out = join(work, 'replace', 'report.txt');
    mkdirSync(join(work, 'replace'));
    writeFileSync(out, 'old report\n');
    chmodSync(out, 0o600);
    const before = statSync(out);
    const r = await cli(['sbom', layout.name, '-q', '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    const after = statSync(out);
    assert.notEqual(after.ino, before.ino, 'a new file was renamed into place');
    assert.equal(after.mode & 0o777, 0o600, 'the permission bits are kept');
    assert.match(readFileSync(out, 'utf8'), /Alpine Linux v3\.4/);
    assert.deepEqual(readdirSync(join(work, 'replace')), ['report.txt']);

    const target = join(work, 'replace', 'target.json');
    writeFileSync(target, '{}');
    const link = join(work, 'replace', 'link.json');
    symlinkSync(target, link);
    const l = await cli(['sbom', layout.name, '-q', '--format', 'json', '-o', link]);
    assert.equal(l.code, 0, l.stderr);
    assert.ok(lstatSync(link).isSymbolicLink(), 'the link is kept');
    assert.match(readFileSync(target, 'utf8'), /"packages"/);
  });

  test('key backup -o never replaces a file (exit 9) but writes into a FIFO', async () => {
    const home = { PORTCULLIS_ROOT_PASSPHRASE: 'root-pass-1', PORTCULLIS_REPOSITORY_PASSPHRASE: 'repo-pass-1' };
    const gen = await cli(['key', 'generate'], home);
    assert.equal(gen.code, 0, gen.stderr);
    const existing = join(work, 'backup.json');
    writeFileSync(existing, 'keep me');
    assertFails(await cli(['key', 'backup', '-o', existing], home), 9, /already exists/);
    assert.equal(readFileSync(existing, 'utf8'), 'keep me');
    const fresh = join(work, 'backup-new.json');
    const b = await cli(['key', 'backup', '-o', fresh], home);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(statSync(fresh).mode & 0o777, 0o600);
    const pipe = fifo('backup.fifo');
    const reader = readFifo(pipe);
    const p = await cli(['key', 'backup', '-o', pipe], home);
    assert.equal(p.code, 0, p.stderr);
    const withoutTime = (text: string): unknown => ({ ...(JSON.parse(text) as Record<string, unknown>), created: undefined });
    assert.deepEqual(withoutTime((await reader.bytes).toString('utf8')), withoutTime(readFileSync(fresh, 'utf8')));
  });

  test('an auth file that is a directory is refused, not replaced', async () => {
    const dir = join(work, 'authdir');
    mkdirSync(dir);
    const r = await cli(['logout', 'example.test', '--authfile', dir]);
    assertFails(r, 10, /not a regular file \(it is a directory\)/);
  });
});

describe('a FIFO named as an input is refused at once', () => {
  const notRegular = /is not a regular file \(it is a FIFO\)$/;

  test('scan --sbom, --ignorefile, --vex', async () => {
    assertFails(await cli(['scan', '--sbom', fifo('sbom-in.fifo'), '--db', db, '-q']), 10, notRegular);
    assertFails(await cli(['scan', '--rootfs', rootfs, '--db', db, '-q', '--ignorefile', fifo('ignore.fifo')]), 10, notRegular);
    assertFails(await cli(['scan', '--rootfs', rootfs, '--db', db, '-q', '--vex', fifo('vex.fifo')]), 10, notRegular);
    // The null device is an empty file, the usual way to say "no ignore file".
    const empty = await cli(['scan', '--rootfs', rootfs, '--db', db, '-q', '--ignorefile', '/dev/null']);
    assert.equal(empty.code, 0, empty.stderr);
  });

  test('lint --config, --ignorefile and a Dockerfile', async () => {
    assertFails(await cli(['lint', layout.name, '-q', '--config', fifo('lint-config.fifo')]), 10, notRegular);
    assertFails(await cli(['lint', layout.name, '-q', '--ignorefile', fifo('lint-ignore.fifo')]), 10, notRegular);
    assertFails(await cli(['lint', fifo('Dockerfile'), '--dockerfile', '-q']), 10, notRegular);
  });

  test('a policy file, a --key file, a passphrase file, a key to import, advisories to import', async () => {
    assertFails(await cli(['verify', 'docker://127.0.0.1:9/x/y:1', '--policy', fifo('policy.fifo')]), 10, notRegular);
    assertFails(await cli(['verify', 'docker://127.0.0.1:9/x/y:1', '--key', fifo('cosign.pub')]), 10, notRegular);
    assertFails(await cli(['key', 'generate', '--root', '--root-passphrase-file', fifo('pass.fifo')], { PORTCULLIS_HOME: join(work, 'home2') }), 10, notRegular);
    assertFails(await cli(['key', 'import', fifo('key.pem')]), 10, notRegular);
    assertFails(await cli(['db', 'import', fifo('osv.json'), '--db', join(work, 'other.sqlite'), '-q']), 10, /is not a regular file or a directory \(it is a FIFO\)$/);
    assertFails(await cli(['db', 'status', '--db', fifo('db.fifo')]), 10, /it is not a regular file \(it is a FIFO\)$/);
  });

  test("an OCI layout's index.json or blob, an oci-archive, a docker-archive", async () => {
    const a = await buildLayout({ layers: [{ entries: [{ name: 'a.txt', body: 'a' }] }] });
    rmSync(join(a.dir, 'index.json'));
    execFileSync('mkfifo', [join(a.dir, 'index.json')]);
    assertFails(await cli(['inspect', a.name, '-q']), 10, /index\.json is not a regular file \(it is a FIFO\)$/);

    const b = await buildLayout({ layers: [{ entries: [{ name: 'b.txt', body: 'b' }] }] });
    const layer = (b.manifest.layers as Array<{ digest: string }>)[0]?.digest ?? '';
    rmSync(b.blobPath(layer));
    execFileSync('mkfifo', [b.blobPath(layer)]);
    assertFails(await cli(['inspect', b.name, '-q', '--verify-layers']), 10, new RegExp(`blob ${layer} is not a regular file \\(it is a FIFO\\)$`));
    assertFails(await cli(['sbom', b.name, '-q']), 10, notRegular);

    assertFails(await cli(['inspect', `oci-archive:${fifo('image.oci.tar')}`, '-q']), 10, /oci-archive .* is not a regular file \(it is a FIFO\)$/);
    assertFails(await cli(['inspect', `docker-archive:${fifo('image.docker.tar')}`, '-q']), 10, /docker-archive .* is not a regular file \(it is a FIFO\)$/);
  });

  test('--authfile and a certificate in --cert-dir', async () => {
    assertFails(await cli(['logout', 'example.test', '--authfile', fifo('auth.json')]), 10, notRegular);
    const certs = join(work, 'certs');
    mkdirSync(certs);
    execFileSync('mkfifo', [join(certs, 'ca.crt')]);
    assertFails(await cli(['inspect', 'docker://127.0.0.1:9/x/y:1', '-q', '--cert-dir', certs]), 10, notRegular);
  });
});
