/**
 * Attacks on policy scoping: an image name spelled so that no entry matches
 * it, and entries written in a short form that matches nothing. An entry
 * that matches nothing enforces nothing (content trust off, or a catch-all
 * `allow` after it), so each of these was a way around a `reject` entry.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { evaluate, findEntry, parsePolicy, toContainersPolicy } from '../../../src/trust/policy/index.js';

const DIGEST = `sha256:${'a'.repeat(64)}` as const;
const NOW = new Date('2025-06-10T00:00:00Z');

/** A strict entry, then a catch-all allow: the decision says which one applied. */
const policy = (glob: string) => parsePolicy(`repositories:\n  - match: ${JSON.stringify(glob)}\n    action: reject\n  - match: "**"\n    action: allow\n`, 'p.yaml');
const decision = (glob: string, repository: string, contentTrust = false) =>
  evaluate(policy(glob), { repository, digest: DIGEST, contentTrust, signatures: [], attestations: [], now: NOW }).decision;

describe('policy scopes cannot be sidestepped by spelling', () => {
  test('the registry host in another case is the same registry (DNS does not tell them apart)', () => {
    assert.equal(decision('registry.example/team/**', 'REGISTRY.EXAMPLE/team/app'), 'reject');
    assert.equal(decision('localhost:5000/team/**', 'LocalHost:5000/team/app'), 'reject');
    assert.equal(decision('Registry.Example/team/*', 'registry.example/team/app'), 'reject');
    assert.equal(decision('registry.example/team/**', 'registry.example/other/app'), 'allow');
  });

  test('Docker Hub globs in short forms match the normalised names', () => {
    for (const glob of ['alpine', 'docker.io/alpine', 'index.docker.io/library/alpine', 'index.docker.io/alpine', 'docker.io/library/alpine', 'library/alpine']) {
      assert.equal(decision(glob, 'docker.io/library/alpine'), 'reject', glob);
    }
    assert.equal(decision('team/app', 'docker.io/team/app'), 'reject');
    assert.equal(decision('alpine', 'docker.io/library/busybox'), 'allow');
    assert.equal(decision('alpine', 'registry.example/library/alpine'), 'allow');
  });

  test('a host alone covers every repository on it, as its containers-policy scope does', () => {
    assert.equal(decision('registry.example', 'registry.example/team/app'), 'reject');
    assert.equal(decision('registry.example:5000', 'registry.example:5000/a'), 'reject');
    assert.equal(decision('*.example.com', 'a.example.com/team/app'), 'reject');
    assert.equal(decision('*.example.com', 'example.org/team/app'), 'allow');
    assert.equal(decision('registry.example', 'registry.example:5000/team/app'), 'allow');
  });

  test('the parsed entry shows the normalised glob; globs already normal are unchanged', () => {
    assert.deepEqual(policy('alpine').entries[0]!.match, ['docker.io/library/alpine']);
    assert.deepEqual(policy('*.example.com').entries[0]!.match, ['*.example.com/**']);
    for (const glob of ['**', 'registry.example/team/*', 'localhost:5000/**', '*/team/app', 'docker.io/*']) assert.deepEqual(policy(glob).entries[0]!.match, [glob]);
    assert.equal(findEntry(policy('alpine'), 'docker.io/library/alpine')?.where, 'p.yaml:2');
  });

  test('the containers-policy export keeps the host scope', () => {
    const keyFor = () => ({ id: 'k', pem: '-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----\n' });
    const out = toContainersPolicy(parsePolicy('repositories:\n  - match: "*.example.com"\n    keys: [./k.pub]\n', 'p.yaml'), { keyFor });
    assert.deepEqual(Object.keys(out.policy.transports.docker), ['*.example.com']);
  });
});
