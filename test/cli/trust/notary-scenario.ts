/**
 * Docker Content Trust end to end, shared by the test against `serve`'s own
 * Notary service and the one against the real notary-server: images pushed
 * with skopeo, tags signed, moved and removed with the real notary CLI, then
 * `PORTCULLIS_CONTENT_TRUST=1 portcullis pull` / `verify` through the CLI.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { VerifyReport } from '../../../src/engine/trust/index.js';
import { notaryCli, type CliTarget } from '../../support/notary.js';
import { skopeoCopy, skopeoRaw } from '../../support/skopeo.js';
import { cli } from './helpers.js';

export interface Scenario {
  /** `127.0.0.1:PORT` of the registry the images go to. */
  readonly host: () => string;
  readonly notary: () => CliTarget;
  /** Flags every pull/verify takes for the registry's (and Notary's) TLS. */
  readonly flags: () => readonly string[];
  readonly env: () => NodeJS.ProcessEnv;
  readonly tinyOci: () => string;
  /** Also sign in a targets/releases delegation (what `docker trust signer add` makes). */
  readonly releases?: boolean;
  readonly prefix: string;
}

export async function notaryOk(target: CliTarget, args: string[]): Promise<string> {
  const r = await notaryCli(target, args);
  assert.equal(r.code, 0, `notary ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r.stdout + r.stderr;
}

/** The manifest digest and size the registry serves for `ref`. */
export async function manifestOf(ref: string): Promise<{ digest: string; hex: string; size: number }> {
  const raw = Buffer.from(await skopeoRaw(`docker://${ref}`), 'utf8');
  const hex = createHash('sha256').update(raw).digest('hex');
  return { digest: `sha256:${hex}`, hex, size: raw.length };
}

export function notaryScenario(s: Scenario): void {
  const repo = (name: string) => `${s.host()}/${s.prefix}/${name}`;
  let work: string;
  const pull = async (ref: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) => {
    work ??= await mkdtemp(join(tmpdir(), 'dct-pull-'));
    const dest = `oci:${join(work, `${Math.random().toString(36).slice(2)}`)}:x`;
    return cli(['pull', ref, dest, ...s.flags(), ...extra], { ...s.env(), PORTCULLIS_CONTENT_TRUST: '1', ...env });
  };
  const sign = async (gun: string, tag: string, m: { hex: string; size: number }) => {
    const target = s.notary();
    const known = await notaryCli(target, ['list', gun]);
    if (known.code !== 0) await notaryOk(target, ['init', gun]);
    await notaryOk(target, ['addhash', gun, tag, String(m.size), '--sha256', m.hex]);
    await notaryOk(target, ['publish', gun]);
  };

  test('a tag signed with the notary CLI pulls with PORTCULLIS_CONTENT_TRUST=1 and no other trust flag; verify names the signer', async () => {
    const ref = repo('signed');
    await skopeoCopy(s.tinyOci(), `docker://${ref}:latest`);
    const m = await manifestOf(`${ref}:latest`);
    await sign(ref, 'latest', m);
    const r = await pull(`${ref}:latest`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${m.digest}\n`);
    const v = await cli(['verify', `${ref}:latest`, ...s.flags(), '--format', 'json'], s.env());
    assert.equal(v.code, 0, v.stderr);
    const report = JSON.parse(v.stdout) as VerifyReport;
    assert.equal(report.signatures.length, 0);
    assert.equal(report.notary?.finding.kind, 'signed');
    if (report.notary?.finding.kind === 'signed') {
      assert.equal(report.notary.finding.role, 'targets');
      assert.equal(report.notary.finding.digest, m.digest);
      assert.equal(report.notary.finding.keyIds.length, 1);
      assert.match(report.notary.finding.keyIds[0] ?? '', /^[0-9a-f]{64}$/);
    }
    const text = await cli(['verify', `${ref}:latest`, ...s.flags()], s.env());
    assert.match(text.stdout, /Signers: +targets \(key [0-9a-f]{64}\)/);
  });

  test('an image nobody signed anywhere: "remote trust data does not exist", exit 8', async () => {
    const ref = repo('unsigned');
    await skopeoCopy(s.tinyOci(), `docker://${ref}:latest`);
    const r = await pull(`${ref}:latest`);
    assert.equal(r.code, 8);
    // (a loopback registry answering plain HTTP adds its warning line first)
    assert.equal(r.stderr.split('\n').filter((l) => !l.includes('answered HTTP, not HTTPS')).join('\n'), `portcullis: remote trust data does not exist for ${ref}\n`);
  });

  test('a tag moved after signing: the signed digest is pulled, and the output says so', async () => {
    const ref = repo('moved');
    await skopeoCopy(s.tinyOci(), `docker://${ref}:latest`);
    const signed = await manifestOf(`${ref}:latest`);
    await sign(ref, 'latest', signed);
    // The same image as a Docker schema 2 manifest: another digest under the same tag.
    await skopeoCopy(s.tinyOci(), `docker://${ref}:latest`, ['--format', 'v2s2']);
    const moved = await manifestOf(`${ref}:latest`);
    assert.notEqual(moved.digest, signed.digest);
    const r = await pull(`${ref}:latest`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${signed.digest}\n`);
    assert.match(r.stderr, new RegExp(`${ref}:latest was moved since it was signed: the registry's tag names ${moved.digest}; using the digest Notary signs, ${signed.digest}`));
    // verify does not pull: it reports that Notary does not vouch for what the tag names now.
    const v = await cli(['verify', `${ref}:latest`, ...s.flags()], s.env());
    assert.equal(v.code, 1);
    assert.match(v.stderr, /notary: Notary target mismatch: latest is signed for sha256:[0-9a-f]{64}, not sha256:/);
  });

  test('a tag removed from Notary (notary remove + publish) is refused, with its own message', async () => {
    const ref = repo('revoked');
    await skopeoCopy(s.tinyOci(), `docker://${ref}:latest`);
    await skopeoCopy(s.tinyOci(), `docker://${ref}:keep`);
    const m = await manifestOf(`${ref}:latest`);
    await sign(ref, 'latest', m);
    await sign(ref, 'keep', m);
    assert.equal((await pull(`${ref}:latest`)).code, 0);
    await notaryOk(s.notary(), ['remove', ref, 'latest']);
    await notaryOk(s.notary(), ['publish', ref]);
    const r = await pull(`${ref}:latest`);
    assert.equal(r.code, 8);
    assert.doesNotMatch(r.stderr, /remote trust data does not exist/);
    assert.match(r.stderr, new RegExp(`signature requirement not met: cosign\\+bundle: no signature found for ${ref}@${m.digest}; notary: tag latest is not in Notary for ${ref} \\(revoked, removed or never signed\\)`));
    assert.equal((await pull(`${ref}:keep`)).code, 0);
  });

  test('Notary authoritative: a cosign signature does not bring back a tag removed from Notary', async () => {
    const ref = repo('authoritative');
    await skopeoCopy(s.tinyOci(), `docker://${ref}:latest`);
    const m = await manifestOf(`${ref}:latest`);
    await sign(ref, 'latest', m);
    const signed = await cli(['sign', `${ref}:latest`, ...s.flags(), '--layout', 'tag'], s.env());
    assert.equal(signed.code, 0, signed.stderr);
    await notaryOk(s.notary(), ['remove', ref, 'latest']);
    await notaryOk(s.notary(), ['publish', ref]);
    // Not authoritative (the default): cosign's signature is enough.
    const lenient = await pull(`${ref}:latest`);
    assert.equal(lenient.code, 0, lenient.stderr);
    const policy = join(await mkdtemp(join(tmpdir(), 'dct-policy-')), 'policy.yaml');
    await writeFile(policy, `version: 1\nrepositories:\n  - match: "${s.host()}/${s.prefix}/**"\n    sources: [cosign, bundle, notary]\n    notary: {authoritative: true}\n`);
    const strict = await pull(`${ref}:latest`, ['--policy', policy]);
    assert.equal(strict.code, 8);
    assert.match(strict.stderr, new RegExp(`notary requirement not met: tag latest is not in Notary for ${ref} \\(revoked, removed or never signed\\); Notary is authoritative for this repository \\(policy ${policy.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3\\)`));
  });

  if (s.releases) {
    test('a targets/releases delegation signs; notary.roles restricts which roles count', async () => {
      const ref = repo('releases');
      await skopeoCopy(s.tinyOci(), `docker://${ref}:latest`);
      const m = await manifestOf(`${ref}:latest`);
      await sign(ref, 'base', m);
      const deleg = await mkdtemp(join(tmpdir(), 'dct-deleg-'));
      const { runCommand } = await import('../../support/peers.js');
      await runCommand('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', join(deleg, 'r.key')]);
      await runCommand('openssl', ['req', '-new', '-x509', '-key', join(deleg, 'r.key'), '-out', join(deleg, 'r.crt'), '-days', '30', '-subj', '/CN=releases']);
      await notaryOk(s.notary(), ['delegation', 'add', ref, 'targets/releases', join(deleg, 'r.crt'), '--all-paths']);
      await notaryOk(s.notary(), ['key', 'import', join(deleg, 'r.key'), '-r', 'targets/releases']);
      await notaryOk(s.notary(), ['addhash', ref, 'latest', String(m.size), '--sha256', m.hex, '-r', 'targets/releases']);
      await notaryOk(s.notary(), ['publish', ref]);
      const v = await cli(['verify', `${ref}:latest`, ...s.flags(), '--format', 'json'], s.env());
      assert.equal(v.code, 0, v.stderr);
      const report = JSON.parse(v.stdout) as VerifyReport;
      assert.equal(report.notary?.finding.kind === 'signed' ? report.notary.finding.role : undefined, 'targets/releases');
      const policy = join(deleg, 'policy.yaml');
      await writeFile(policy, `version: 1\nrepositories:\n  - match: "${ref}"\n    sources: [notary]\n    notary:\n      roles: [targets]\n`);
      const r = await pull(`${ref}:latest`, ['--policy', policy]);
      assert.equal(r.code, 8);
      assert.match(r.stderr, /notary: tag latest is not in Notary for \S+ \(revoked, removed or never signed\): only targets\/releases signs it, a role this policy does not accept/);
    });
  }
}
