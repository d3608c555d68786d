/**
 * What `policy export --format containers-policy` writes, read by a real
 * containers/image client: Debian's skopeo loads the exported policy.json
 * and registries.d (its loader is strict: a malformed document is "Error
 * loading trust policy", shown first with a control) and applies the scopes
 * to pulls from a loopback registry: the `**` entry's `action: allow` lets an
 * image through, a root-certified-only entry (exported as reject) refuses
 * one, and the default refuses what no scope covers (or accepts it with
 * `--default insecureAcceptAnything`). Sigstore signatures themselves are not
 * checked here: Debian's containers/image build leaves sigstore out, so
 * enforcing `sigstoreSigned` is not something this skopeo can show
 * (test/trust/policy/containers-policy.test.ts checks those requirements
 * against the man page's rules).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { peerImages, runCommand } from '../support/peers.js';
import { startPortcullisRegistry, type PortcullisRegistry } from '../support/registry-server.js';
import { skopeoCopy } from '../support/skopeo.js';
import { cli, trustHome } from './trust/helpers.js';

let registry: PortcullisRegistry;
let env: NodeJS.ProcessEnv;
let work: string;
let tinyOci: string;

before(async () => {
  tinyOci = (await peerImages()).tinyOci;
  registry = await startPortcullisRegistry();
  env = await trustHome();
  work = await mkdtemp(join(tmpdir(), 'portcullis-policy-export-peer-'));
  const generated = await cli(['key', 'generate'], env);
  assert.equal(generated.code, 0, generated.stderr);
  const keyId = generated.stdout.trim();
  for (const repository of ['team/app', 'legacy/app', 'other/app']) await skopeoCopy(tinyOci, `docker://${registry.host}/${repository}:1`, ['--dest-tls-verify=false']);
  await writeFile(
    join(work, 'policy.yaml'),
    `repositories:
  - match: ${registry.host}/team/**
    keys: [${keyId}]
    signedIdentity: matchRepository
  - match: ${registry.host}/legacy/**
    keys: [root-certified]
  - match: "**"
    action: allow
`,
  );
});

after(async () => {
  await registry?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

async function skopeo(policy: string, registriesD: string, source: string): Promise<{ code: number; stderr: string }> {
  const out = join(work, `out-${Math.random().toString(36).slice(2)}`);
  const r = await runCommand('skopeo', ['--policy', policy, '--registries.d', registriesD, 'copy', '--src-tls-verify=false', source, `oci:${out}:1`]);
  return { code: r.code, stderr: r.stderr };
}

test('skopeo loads the exported policy and registries.d, and applies their scopes', async () => {
  const dir = join(work, 'etc');
  const exported = await cli(['policy', 'export', '--format', 'containers-policy', '--policy', join(work, 'policy.yaml'), '--output', dir, '--key-dir', join(dir, 'keys')], env);
  assert.equal(exported.code, 0, exported.stderr);
  assert.match(exported.stderr, /root-certified keys .* cannot be exported/);
  const policy = join(dir, 'policy.json');
  const registriesD = join(dir, 'registries.d');

  // The control: skopeo's loader refuses a document the man page forbids, before anything else.
  const broken = join(work, 'broken.json');
  await writeFile(broken, JSON.stringify({ default: [{ type: 'sigstoreSigned', keyPath: join(dir, 'keys', 'x.pub'), keyData: 'AAAA' }] }));
  const refusedFile = await skopeo(broken, registriesD, tinyOci);
  assert.notEqual(refusedFile.code, 0);
  assert.match(refusedFile.stderr, /Error loading trust policy/);

  const allowed = await skopeo(policy, registriesD, `docker://${registry.host}/other/app:1`);
  assert.equal(allowed.code, 0, allowed.stderr);
  const legacy = await skopeo(policy, registriesD, `docker://${registry.host}/legacy/app:1`);
  assert.notEqual(legacy.code, 0);
  assert.match(legacy.stderr, /rejected by policy/);
  assert.doesNotMatch(legacy.stderr, /Error loading/);
  const local = await skopeo(policy, registriesD, tinyOci);
  assert.notEqual(local.code, 0, 'no scope covers oci: the default rejects it');
  assert.match(local.stderr, /rejected by policy/);

  const open = join(work, 'open.json');
  const opened = await cli(['policy', 'export', '--policy', join(work, 'policy.yaml'), '--default', 'insecureAcceptAnything'], env);
  assert.equal(opened.code, 0, opened.stderr);
  await writeFile(open, opened.stdout);
  const accepted = await skopeo(open, registriesD, tinyOci);
  assert.equal(accepted.code, 0, accepted.stderr);
});
