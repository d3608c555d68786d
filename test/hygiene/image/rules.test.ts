/**
 * Each image rule on an image built to plant exactly that problem, asserting
 * the exact finding (rule id, path, layer); a clean minimal image asserts
 * none. Images are real OCI layouts read through the oci: transport.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IMAGE_CHECKS } from '../../../src/hygiene/image/all.js';
import { IMAGE_RULES } from '../../../src/hygiene/rules.js';
import { CLEAN_CONTAINER, cleanBase, dir, lintSpec, osRelease, realElf, summary } from './support.js';

const PEM = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----\n';
const NPM_TOKEN = `npm_${'a1B2c3D4e5'.repeat(3)}abcdef`;

test('every image rule belongs to exactly one registered check', () => {
  const claimed = IMAGE_CHECKS.flatMap((c) => c.rules as readonly string[]);
  assert.equal(new Set(claimed).size, claimed.length);
  assert.deepEqual([...claimed].sort(), IMAGE_RULES.map((r) => r.id as string).sort());
});

test('a clean minimal image (non-root USER, HEALTHCHECK, no shell) has no findings and no warnings', async () => {
  const result = await lintSpec({ layers: [cleanBase()] });
  assert.deepEqual(result.findings, []);
  assert.deepEqual(result.warnings, []);
});

test('image/secret-in-layer: a private key deleted in a later layer is still found, with both layers named', async () => {
  const result = await lintSpec({
    layers: [
      cleanBase(),
      [dir('root', 0o700), dir('root/.ssh', 0o700), { name: 'root/.ssh/id_ed25519', body: PEM, mode: 0o600 }],
      [dir('root/.ssh', 0o700), { name: 'root/.ssh/.wh.id_ed25519', body: '' }],
    ],
    createdBy: ['base', 'COPY id_ed25519 /root/.ssh/', 'RUN rm /root/.ssh/id_ed25519'],
  });
  assert.deepEqual(summary(result.findings), ['image/secret-in-layer root/.ssh/id_ed25519@1']);
  const f = result.findings[0]!;
  assert.equal(f.severity, 'CRITICAL');
  assert.match(f.message, /a private key in root\/\.ssh\/id_ed25519 .*added in layer 1 .*deleted in layer 2 .*still in the image/);
  assert.equal(f.location.createdBy, 'COPY id_ed25519 /root/.ssh/');
  assert.equal(f.location.historyIndex, 1);
  assert.ok(!f.message.includes('b3BlbnNz'), 'the key is never shown');
});

test('image/secret-in-layer: an .npmrc with an _authToken, a .env and AWS credentials in the final filesystem', async () => {
  const result = await lintSpec({
    layers: [
      cleanBase(),
      [
        { name: 'app/.npmrc', body: `//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n` },
        { name: 'app/.env', body: 'PORT=8080\nDB_PASSWORD=s3cr3t-value\n' },
        { name: 'app/.env.example', body: 'DB_PASSWORD=s3cr3t-value\n' },
        { name: 'root/.aws/credentials', body: '[default]\naws_access_key_id = AKIAQWERTYUIOPASDFGH\naws_secret_access_key = abcdEFGHijklMNOPqrstUVWXyz0123456789ABCD\n' },
        { name: 'app/ci/.npmrc', body: '//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n' },
        { name: 'app/test/fixtures/key.pem', body: PEM },
      ],
    ],
  });
  assert.deepEqual(summary(result.findings), [
    'image/secret-in-layer app/.env@1',
    'image/secret-in-layer app/.npmrc@1',
    'image/secret-in-layer root/.aws/credentials@1',
  ]);
  const byPath = new Map(result.findings.map((f) => [f.location.path, f.message]));
  assert.match(byPath.get('app/.npmrc')!, /^npm registry credentials, an npm token in app\/\.npmrc \(not shown\), added in layer 1 .* and still in the final filesystem$/);
  assert.match(byPath.get('root/.aws/credentials')!, /^AWS credentials, an AWS access key id in/);
  assert.match(byPath.get('app/.env')!, /^a \.env file with secrets in app\/\.env/);
  for (const f of result.findings) {
    assert.ok(!f.message.includes(NPM_TOKEN) && !f.message.includes('s3cr3t') && !f.message.includes('AKIAQWERTY'), f.message);
  }
});

test('image/secret-in-layer: binary files and bytes beyond the cap are not read for secrets', async () => {
  const binary = Buffer.concat([Buffer.from([0, 1, 2, 3]), Buffer.from(`\n${PEM}`)]);
  const big = Buffer.concat([Buffer.alloc(300 * 1024, 'a'), Buffer.from(`\n${PEM}`)]);
  const result = await lintSpec({ layers: [cleanBase(), [{ name: 'app/blob.bin', body: binary }, { name: 'app/big.txt', body: big }]] });
  assert.deepEqual(summary(result.findings, 'image/secret-in-layer'), []);
  const small = await lintSpec({ layers: [cleanBase(), [{ name: 'app/big.txt', body: big }]] }, { maxSecretBytes: 512 * 1024 });
  assert.deepEqual(summary(small.findings, 'image/secret-in-layer'), ['image/secret-in-layer app/big.txt@1']);
});

test('image/unmanaged-binary: a static binary in /usr/local/bin, not a file dpkg owns', async () => {
  const elf = realElf();
  const result = await lintSpec({
    layers: [
      [
        ...cleanBase(),
        { name: 'var/lib/dpkg/status', body: 'Package: owned\nStatus: install ok installed\nVersion: 1.0-1\nArchitecture: amd64\nMaintainer: x\nDescription: x\n\n' },
        { name: 'var/lib/dpkg/info/owned.list', body: '/.\n/usr\n/usr/bin\n/usr/bin/owned\n' },
        { name: 'usr/bin/owned', body: elf, mode: 0o755 },
        { name: 'app/node_modules/addon/build/addon.node', body: elf, mode: 0o755 },
      ],
      [{ name: 'usr/local/bin/tool', body: elf, mode: 0o755 }],
    ],
  });
  assert.deepEqual(summary(result.findings), ['image/unmanaged-binary usr/local/bin/tool@1']);
  assert.match(result.findings[0]!.message, /^usr\/local\/bin\/tool: ELF executable that no package manager owns \(added by layer 1\)$/);
});

test('image/unmanaged-binary: a hand-installed runtime under /opt is one finding', async () => {
  const elf = realElf();
  const result = await lintSpec({
    layers: [cleanBase(), [{ name: 'opt/tool/bin/tool', body: elf, mode: 0o755 }, { name: 'opt/tool/lib/libtool.so.1', body: elf, mode: 0o644 }, { name: 'opt/tool/README', body: 'x' }]],
  });
  assert.deepEqual(summary(result.findings), ['image/unmanaged-binary opt/tool@1']);
  assert.match(result.findings[0]!.message, /^opt\/tool: 2 ELF executables and libraries/);
});

test('image/setuid-packaged: setuid files a package owns are one INFO summary; an unowned one stays image/setuid', async () => {
  const result = await lintSpec({
    layers: [
      [
        ...cleanBase(),
        { name: 'var/lib/dpkg/status', body: 'Package: login\nStatus: install ok installed\nVersion: 1:4.13\nArchitecture: amd64\nMaintainer: x\nDescription: x\n\n' },
        { name: 'var/lib/dpkg/info/login.list', body: '/.\n/usr\n/usr/bin\n/usr/bin/su\n/usr/bin/newgrp\n' },
        { name: 'usr/bin/su', body: 'x', mode: 0o4755 },
        { name: 'usr/bin/newgrp', body: 'x', mode: 0o4755 },
      ],
      [{ name: 'usr/local/bin/helper', body: 'x', mode: 0o4755 }],
    ],
  });
  assert.deepEqual(summary(result.findings), ['image/setuid usr/local/bin/helper@1', 'image/setuid-packaged -@-']);
  const packaged = result.findings.find((f) => f.ruleId === 'image/setuid-packaged')!;
  assert.equal(packaged.severity, 'INFO');
  assert.equal(packaged.message, '2 setuid/setgid files installed by OS packages: newgrp, su');
  assert.equal(result.findings.find((f) => f.ruleId === 'image/setuid')!.severity, 'HIGH');
});

test('image/setuid: a setuid file is found; one made ordinary by a later layer is not', async () => {
  const result = await lintSpec({
    layers: [
      [...cleanBase(), { name: 'app/helper', body: 'x', mode: 0o4755 }, { name: 'app/fixed', body: 'x', mode: 0o4755 }, { name: 'app/group', body: 'x', mode: 0o2755, gid: 50 }],
      [{ name: 'app/fixed', body: 'x', mode: 0o755 }],
    ],
  });
  assert.deepEqual(summary(result.findings), ['image/setuid app/group@0', 'image/setuid app/helper@0']);
  assert.match(result.findings.find((f) => f.location.path === 'app/helper')!.message, /setuid \(owner uid 0\), mode 4755/);
  assert.match(result.findings.find((f) => f.location.path === 'app/group')!.message, /setgid \(group gid 50\), mode 2755/);
});

test('image/runs-as-root: no USER, USER 0:0 and USER root are root; 10001 is not', async () => {
  for (const User of [undefined, '0', '0:0', 'root']) {
    const container = { ...CLEAN_CONTAINER, ...(User !== undefined ? { User } : {}) };
    if (User === undefined) delete (container as { User?: string }).User;
    const result = await lintSpec({ layers: [cleanBase()], container });
    assert.deepEqual(summary(result.findings), ['image/runs-as-root -@-'], String(User));
  }
});

test('image/eol-base: Debian 9 and Alpine 3.10 are past their support; Alpine 3.21 is within the window (image/eol-soon)', async () => {
  const debian9 = await lintSpec({ layers: [[dir('etc'), osRelease('debian', '9', 'Debian GNU/Linux'), dir('app'), { name: 'app/server', body: 'x', mode: 0o755 }]] });
  assert.deepEqual(summary(debian9.findings), ['image/eol-base etc/os-release@0']);
  assert.match(debian9.findings[0]!.message, /^Debian 9 \(stretch\) lost security support on 2022-06-30, extended support included, \d+ days ago \(os-release: etc\/os-release\)$/);
  const alpine310 = await lintSpec({ layers: [[dir('etc'), osRelease('alpine', '3.10.9'), { name: 'app', type: 'directory' }]] });
  assert.deepEqual(summary(alpine310.findings), ['image/eol-base etc/os-release@0']);
  assert.match(alpine310.findings[0]!.message, /^Alpine Linux 3\.10 lost security support on 2021-05-01/);
  const soon = await lintSpec({ layers: [[dir('etc'), osRelease('alpine', '3.21.3')]], created: '2026-09-20T00:00:00Z' }, { now: new Date('2026-10-01T00:00:00Z') });
  assert.deepEqual(summary(soon.findings), ['image/eol-soon etc/os-release@0']);
  assert.match(soon.findings[0]!.message, /loses security support on 2026-11-01, in 31 days/);
  const wider = await lintSpec({ layers: [[dir('etc'), osRelease('alpine', '3.22.0')]] }, { config: { eolWarnDays: 500 } });
  assert.deepEqual(summary(wider.findings), ['image/eol-soon etc/os-release@0']);
});

test('image/eol-base: an end-of-life Node.js installed under /usr/local', async () => {
  const header = '#define NODE_MAJOR_VERSION 16\n#define NODE_MINOR_VERSION 20\n#define NODE_PATCH_VERSION 2\n';
  const result = await lintSpec({ layers: [cleanBase(), [{ name: 'usr/local/include/node/node_version.h', body: header }]] });
  assert.deepEqual(summary(result.findings), ['image/eol-base usr/local/include/node/node_version.h@1']);
  assert.match(result.findings[0]!.message, /^Node\.js 16 lost security support on 2023-09-11/);
});

test('image/world-writable: a 0777 directory is found, the sticky 1777 /tmp is not', async () => {
  const result = await lintSpec({ layers: [cleanBase(), [dir('app/uploads', 0o777), dir('var', 0o755), dir('var/tmp', 0o1777)]] });
  assert.deepEqual(summary(result.findings), ['image/world-writable app/uploads@1']);
  assert.match(result.findings[0]!.message, /mode 0777/);
});

test('image/pkg-cache: apt lists left behind', async () => {
  const result = await lintSpec({
    layers: [
      cleanBase(),
      [
        { name: 'var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease', body: 'x'.repeat(1000) },
        { name: 'var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4', body: 'y'.repeat(500) },
        { name: 'var/lib/apt/lists/lock', body: '' },
      ],
    ],
  });
  assert.deepEqual(summary(result.findings), ['image/pkg-cache var/lib/apt/lists@1']);
  assert.match(result.findings[0]!.message, /^apt lists \(var\/lib\/apt\/lists\): 2 files, 1500 bytes, left by layer 1$/);
});

test('image/user-data: a sqlite file in a VOLUME path', async () => {
  const result = await lintSpec({
    layers: [cleanBase(), [dir('data'), { name: 'data/app.sqlite', body: 'SQLite format 3\0' }]],
    container: { ...CLEAN_CONTAINER, Volumes: { '/data': {} } },
  });
  assert.deepEqual(summary(result.findings), ['image/user-data data/app.sqlite@1', 'image/user-data data@1']);
  assert.match(result.findings.find((f) => f.location.path === 'data')!.message, /^VOLUME \/data already holds 1 file \(e\.g\. data\/app\.sqlite\)/);
});

test('image/stale: an old created date, with "rebuild fixes N of M" from the injected counter', async () => {
  const spec = { layers: [cleanBase()], created: '2025-06-01T00:00:00Z' };
  const plain = await lintSpec(spec);
  assert.deepEqual(summary(plain.findings), ['image/stale -@-']);
  assert.equal(plain.findings[0]!.message, 'built 2025-06-01, 223 days ago (more than 90)');
  const counted = await lintSpec(spec, { countRebuildFixes: async () => ({ fixable: 41, total: 57 }) });
  assert.equal(counted.findings[0]!.message, 'built 2025-06-01, 223 days ago (more than 90); rebuild fixes 41 of 57 known vulnerabilities');
  const lenient = await lintSpec(spec, { config: { staleDays: 365 } });
  assert.deepEqual(lenient.findings, []);
});

test('image/secret-in-config: ENV, labels and history; values never shown', async () => {
  const ghp = `ghp_${'A1b2C3d4E5f6'.repeat(3)}`;
  const result = await lintSpec({
    layers: [cleanBase()],
    container: { ...CLEAN_CONTAINER, Env: ['PATH=/app', 'DB_PASSWORD=hunter22', 'DB_PASSWORD_FILE=/run/secrets/db'], Labels: { 'org.example.deploy-token': ghp, 'org.opencontainers.image.title': 'app' } },
    extraHistory: [{ created_by: 'RUN |1 AWS_SECRET_ACCESS_KEY=abcdEFGHijklMNOP /bin/sh -c ./deploy', empty_layer: true }],
  });
  const messages = result.findings.filter((f) => f.ruleId === 'image/secret-in-config').map((f) => f.message).sort();
  assert.deepEqual(messages, [
    'ENV DB_PASSWORD is set to a literal value (not shown)',
    'history entry 1 (the build step\'s command) holds a literal value for AWS_SECRET_ACCESS_KEY (not shown)',
    'label org.example.deploy-token holds a GitHub token (value not shown)',
  ]);
  const history = result.findings.find((f) => f.location.historyIndex === 1)!;
  assert.equal(history.location.createdBy, 'RUN |1 AWS_SECRET_ACCESS_KEY=<redacted> /bin/sh -c ./deploy');
  assert.ok(!JSON.stringify(result).includes('hunter22') && !JSON.stringify(result).includes(ghp) && !JSON.stringify(result).includes('abcdEFGH'));
});

test('image/expose-ssh and image/no-healthcheck', async () => {
  const container: Record<string, unknown> = { ...CLEAN_CONTAINER, ExposedPorts: { '22/tcp': {}, '8080/tcp': {} } };
  delete container.Healthcheck;
  const result = await lintSpec({ layers: [cleanBase()], container, extraHistory: [{ created_by: 'EXPOSE map[22/tcp:{}]', empty_layer: true }] });
  assert.deepEqual(summary(result.findings), ['image/expose-ssh -@-', 'image/no-healthcheck -@-']);
  assert.equal(result.findings.find((f) => f.ruleId === 'image/expose-ssh')!.location.historyIndex, 1);
  const none = await lintSpec({ layers: [cleanBase()], container: { ...CLEAN_CONTAINER, Healthcheck: { Test: ['NONE'] } } });
  assert.deepEqual(none.findings, []);
});

test('image/shell-present and image/package-manager-present', async () => {
  const result = await lintSpec({
    layers: [cleanBase(), [dir('bin'), { name: 'bin/sh', body: 'x', mode: 0o755 }, dir('usr/bin'), { name: 'usr/bin/apt-get', body: 'x', mode: 0o755 }, { name: 'usr/bin/dpkg', body: 'x', mode: 0o755 }]],
  });
  assert.deepEqual(summary(result.findings), ['image/package-manager-present usr/bin/apt-get@1', 'image/shell-present bin/sh@1']);
  assert.equal(result.findings.find((f) => f.ruleId === 'image/package-manager-present')!.message, 'OS package manager present: apt, dpkg (usr/bin/apt-get, usr/bin/dpkg)');
});

test('image/large-image: far more OS packages than a minimal Debian', async () => {
  const stanzas = Array.from({ length: 200 }, (_v, i) => `Package: pkg${i}\nStatus: install ok installed\nVersion: 1.0-${i}\nArchitecture: amd64\n`).join('\n');
  const result = await lintSpec({ layers: [[dir('etc'), osRelease('debian', '12', 'Debian GNU/Linux'), { name: 'var/lib/dpkg/status', body: `${stanzas}\n` }]] });
  assert.deepEqual(summary(result.findings), ['image/large-image -@-']);
  assert.match(result.findings[0]!.message, /^200 OS packages and \d+ MB uncompressed; a minimal debian:12-slim has about 90 packages and 80 MB$/);
});

test('rule configuration: disable and enable lists', async () => {
  const spec = { layers: [cleanBase()], container: { User: '0' } };
  const all = await lintSpec(spec);
  assert.deepEqual(summary(all.findings), ['image/no-healthcheck -@-', 'image/runs-as-root -@-']);
  assert.deepEqual(summary((await lintSpec(spec, { config: { disable: ['image/no-healthcheck'] } })).findings), ['image/runs-as-root -@-']);
  assert.deepEqual(summary((await lintSpec(spec, { config: { enable: ['image/no-healthcheck'] } })).findings), ['image/no-healthcheck -@-']);
});

test('image/secret-in-layer: a secret replaced by a clean copy, and one hidden by an opaque directory, are still reported', async () => {
  const result = await lintSpec({
    layers: [
      [...cleanBase(), dir('app/conf'), { name: 'app/conf/app.ini', body: '[db]\npassword = Tr0ub4dor&3\n' }, dir('srv'), { name: 'srv/deploy.key', body: PEM }],
      [{ name: 'app/conf/app.ini', body: '[db]\npassword_file = /run/secrets/db\n' }],
      [dir('srv'), { name: 'srv/.wh..wh..opq', body: '' }, { name: 'srv/readme.txt', body: 'empty' }],
    ],
  });
  assert.deepEqual(summary(result.findings), ['image/secret-in-layer app/conf/app.ini@0', 'image/secret-in-layer srv/deploy.key@0']);
  const messages = new Map(result.findings.map((f) => [f.location.path, f.message]));
  assert.match(messages.get('app/conf/app.ini')!, /replaced in layer 1 .*: the old copy is still in the image$/);
  assert.match(messages.get('srv/deploy.key')!, /deleted in layer 2 .*: a deleted file is still in the image$/);
});
