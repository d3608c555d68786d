/**
 * `portcullis lint` end to end: images (planted problems, the tiny peer) and
 * Dockerfiles (detected by name, by content, or forced); JSON shape; SARIF
 * validated against the official 2.1.0 schema; --severity, --exit-code;
 * the ignore file (rule ids, paths, expiry) and the config file.
 */
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { runCli } from '../support/cli.js';
import { peerImages, type PeerImages } from '../support/peers.js';
import { buildImage, cleanBase } from '../hygiene/image/support.js';
import { sarif210Validator } from '../report/schemas.js';
import { missingPeer } from '../support/require-peer.js';

type J = Record<string, any>;

let images: PeerImages;
let work: string;
let clean: string;
before(async () => {
  images = await peerImages('tiny');
  work = await mkdtemp(join(tmpdir(), 'portcullis-lint-cli-'));
  clean = await buildImage({ layers: [cleanBase()], created: new Date().toISOString() });
});

const ENV = { PORTCULLIS_DB: '/nonexistent/advisories.sqlite', XDG_CACHE_HOME: '/nonexistent-cache' };

async function lintJson(args: string[]): Promise<{ code: number; doc: J; stderr: string }> {
  const r = await runCli(['lint', ...args, '--format', 'json', '-q'], ENV);
  return { code: r.code, doc: r.stdout ? (JSON.parse(r.stdout) as J) : {}, stderr: r.stderr };
}

test('an image: JSON findings carry rule id, severity, message and where (path and layer)', async () => {
  const { code, doc } = await lintJson([images.tinyOci]);
  assert.equal(code, 0);
  assert.equal(doc.kind, 'image');
  assert.match(doc.image.digest, /^sha256:/);
  const secret = (doc.findings as J[]).find((f) => f.ruleId === 'image/secret-in-layer')!;
  assert.equal(secret.severity, 'CRITICAL');
  assert.equal(secret.location.kind, 'image');
  assert.equal(secret.location.path, 'etc/secret.conf');
  assert.equal(secret.location.layer.index, 0);
  assert.match(secret.location.layer.digest, /^sha256:/);
  assert.equal(secret.docs, 'docs/lint-rules.md#image-secret-in-layer');
  assert.equal(secret.cis, '4.10');
});

test('a clean image: no findings, exit 0 even with --exit-code', async () => {
  const r = await runCli(['lint', clean, '--exit-code', '4'], ENV);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /no findings/);
});

test('--exit-code and --severity: findings left after the filter decide the exit', async () => {
  assert.equal((await runCli(['lint', images.tinyOci, '--exit-code', '3', '-q'], ENV)).code, 3);
  const critical = await lintJson([images.tinyOci, '--severity', 'CRITICAL', '--exit-code', '3']);
  assert.equal(critical.code, 3);
  assert.deepEqual((critical.doc.findings as J[]).map((f) => f.ruleId), ['image/secret-in-layer']);
  const info = await lintJson([images.tinyOci, '--severity', 'info', '--exit-code', '3']);
  assert.equal(info.code, 3);
  assert.deepEqual((info.doc.findings as J[]).map((f) => f.ruleId), ['image/no-healthcheck']);
  const high = await runCli(['lint', images.tinyOci, '--severity', 'HIGH', '--exit-code', '3', '-q'], ENV);
  assert.equal(high.code, 0, 'no HIGH finding in the tiny image');
  const bad = await runCli(['lint', images.tinyOci, '--severity', 'SEVERE'], ENV);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--severity takes a comma list of CRITICAL, HIGH, MEDIUM, LOW, INFO/);
});

test('the ignore file: a rule id with a path suppresses; an expired entry does not and says so', async () => {
  const file = join(work, 'ignore.yaml');
  await writeFile(
    file,
    [
      'ignore:',
      '  - id: image/secret-in-layer',
      '    path: etc/secret.conf',
      '    reason: test fixture, the password is not real',
      '    owner: security',
      '  - id: image/no-healthcheck',
      '    reason: Kubernetes probes',
      '    expires: 2020-01-01',
      '  - id: CVE-2024-0001',
      '    reason: a vulnerability entry is for scan',
    ].join('\n'),
  );
  const r = await runCli(['lint', images.tinyOci, '--ignorefile', file, '--format', 'json', '--exit-code', '1'], ENV);
  assert.equal(r.code, 1);
  const doc = JSON.parse(r.stdout) as J;
  assert.ok(!(doc.findings as J[]).some((f) => f.ruleId === 'image/secret-in-layer'));
  assert.ok((doc.findings as J[]).some((f) => f.ruleId === 'image/no-healthcheck'), 'expired entry ignores nothing');
  assert.deepEqual((doc.suppressed as J[]).map((s) => [s.ruleId, s.suppressed.reason]), [['image/secret-in-layer', 'test fixture, the password is not real (owner: security)']]);
  assert.match(r.stderr, /the ignore entry for image\/no-healthcheck expired on 2020-01-01/);
  const wrongPath = join(work, 'ignore2.yaml');
  await writeFile(wrongPath, 'ignore:\n  - id: image/secret-in-layer\n    path: etc/other.conf\n    reason: x\n');
  const kept = await lintJson([images.tinyOci, '--ignorefile', wrongPath]);
  assert.ok((kept.doc.findings as J[]).some((f) => f.ruleId === 'image/secret-in-layer'));
});

test('the config file: disable, enable, and an unknown rule id is a usage error', async () => {
  const config = join(work, 'portcullis.yaml');
  await writeFile(config, 'lint:\n  disable: [image/no-healthcheck, image/shell-present]\n  staleDays: 30\n');
  const { doc } = await lintJson([images.tinyOci, '--config', config]);
  const rules = (doc.findings as J[]).map((f) => f.ruleId);
  assert.ok(!rules.includes('image/no-healthcheck') && !rules.includes('image/shell-present'));
  assert.ok(rules.includes('image/runs-as-root'));
  await writeFile(config, 'lint:\n  disable: [image/no-such-rule]\n');
  const bad = await runCli(['lint', images.tinyOci, '--config', config], ENV);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown rule id 'image\/no-such-rule'/);
  await writeFile(config, 'lint:\n  staleDayz: 3\n');
  const typo = await runCli(['lint', images.tinyOci, '--config', config], ENV);
  assert.equal(typo.code, 7);
  assert.match(typo.stderr, /lint\.staleDayz is not a setting/);
});

test('SARIF for an image validates against the SARIF 2.1.0 schema', async (t) => {
  const out = join(work, 'image.sarif');
  const r = await runCli(['lint', images.tinyOci, '--format', 'sarif', '-o', out, '-q'], ENV);
  assert.equal(r.code, 0, r.stderr);
  const log = JSON.parse(await (await import('node:fs/promises')).readFile(out, 'utf8')) as J;
  const run = log.runs[0] as J;
  assert.equal(run.tool.driver.name, 'portcullis-lint');
  const result = (run.results as J[]).find((x) => x.ruleId === 'image/secret-in-layer')!;
  assert.equal(result.level, 'error');
  assert.equal(result.locations[0].physicalLocation.artifactLocation.uri, 'etc/secret.conf');
  assert.equal(result.properties.layer, 0);
  const rule = (run.tool.driver.rules as J[])[result.ruleIndex as number]!;
  assert.equal(rule.id, 'image/secret-in-layer');
  assert.equal(rule.properties['security-severity'], '9.5');
  const validate = sarif210Validator();
  if (!validate) {
    missingPeer(t, 'no SARIF schema available');
    return;
  }
  assert.deepEqual(validate(log), []);
});

test('a Dockerfile: found by name, by content, or forced; SARIF points at line and column; ignores by path', async (t) => {
  const dockerfile = join(work, 'Dockerfile');
  await writeFile(dockerfile, 'FROM debian:12\nRUN curl -fsSL https://example.com/install.sh | sh\n');
  const byName = await lintJson([dockerfile]);
  assert.equal(byName.doc.kind, 'dockerfile');
  const pipe = (byName.doc.findings as J[]).find((f) => f.ruleId === 'dockerfile/pipe-to-shell')!;
  assert.deepEqual([pipe.location.kind, pipe.location.line, pipe.location.column], ['dockerfile', 2, 5]);

  const byContent = join(work, 'app.build');
  await writeFile(byContent, '# a build file\nFROM debian:12\nUSER 10001\n');
  assert.equal((await lintJson([byContent])).doc.kind, 'dockerfile');
  const forced = join(work, 'weird.txt');
  await writeFile(forced, 'RUN echo hi\n');
  const f = await lintJson([forced, '--dockerfile']);
  assert.equal(f.doc.kind, 'dockerfile');
  assert.ok((f.doc.findings as J[]).some((x) => x.ruleId === 'dockerfile/syntax'));

  const sarif = await runCli(['lint', dockerfile, '--format', 'sarif', '-q'], ENV);
  const log = JSON.parse(sarif.stdout) as J;
  const region = (log.runs[0].results as J[]).find((x) => x.ruleId === 'dockerfile/pipe-to-shell')!.locations[0].physicalLocation.region;
  assert.equal(region.startLine, 2);
  assert.equal(region.startColumn, 5);
  const validate = sarif210Validator();
  if (validate) assert.deepEqual(validate(log), []);
  else t.diagnostic('no SARIF schema: structure checked only');

  const ignore = join(work, 'df-ignore.yaml');
  await writeFile(ignore, `ignore:\n  - id: dockerfile/pipe-to-shell\n    path: ${dockerfile}\n    reason: vendor installer checked by hand\n`);
  const ignored = await lintJson([dockerfile, '--ignorefile', ignore, '--exit-code', '1']);
  assert.ok(!(ignored.doc.findings as J[]).some((x) => x.ruleId === 'dockerfile/pipe-to-shell'));
  assert.equal((ignored.doc.suppressed as J[]).length, 1);
});

test('an image name that does not exist is not a Dockerfile: not found', async () => {
  const r = await runCli(['lint', `oci:${join(work, 'missing')}:latest`], ENV);
  assert.notEqual(r.code, 0);
  assert.notEqual(r.code, 70);
});
