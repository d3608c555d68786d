/**
 * The gate's indexes (ignore entries by id, VEX statements by id, package
 * and version) decide exactly as scanning every entry and statement in file
 * order would (`entryMatches`, `statementCovers`), and stay linear at the
 * sizes a hostile VEX file reaches: 150,000 statements against 200,000
 * findings, which the scan of every statement per finding never finished.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Finding } from '../../src/core/finding.js';
import { applyGate } from '../../src/engine/gate.js';
import { entryMatches, type IgnoreEntry } from '../../src/engine/ignore.js';
import { statementCovers, suppresses, type VexStatement } from '../../src/engine/vex.js';

function finding(id: string, aliases: string[], name: string, version: string): Finding {
  return {
    id,
    aliases,
    package: { name, version, ecosystem: 'npm', purl: `pkg:npm/${name}@${version}`, foundBy: 'npm', path: `node_modules/${name}/package.json` },
    installedVersion: version,
    fixedVersion: '9.9.9',
    status: 'fixed',
    severity: 'HIGH',
    severitySource: 'osv',
    references: [],
    evidence: { feed: 'osv', advisoryId: id, ecosystem: 'npm', queriedName: name, range: '<9.9.9', scheme: 'semver' },
  };
}

/** A small deterministic pseudo-random generator (the cases are the same every run). */
function lcg(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
}

test('the indexes choose the same entry and statement as a scan of the lists, over 3,000 generated findings', () => {
  const rand = lcg(42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const ids = ['CVE-1', 'CVE-2', 'CVE-3', 'GHSA-a', 'GHSA-b'];
  const names = ['a', 'b', 'c', '@s/d'];
  const versions = ['1.0.0', '1.0.1', '2.0.0'];
  const statements: VexStatement[] = [];
  for (let i = 0; i < 60; i++) {
    const purls = rand() < 0.2 ? [] : Array.from({ length: 1 + Math.floor(rand() * 3) }, () => (rand() < 0.4 ? `pkg:npm/${pick(names)}` : `pkg:npm/${pick(names)}@${pick(versions)}`));
    statements.push({ ids: [pick(ids)], purls, status: rand() < 0.8 ? 'not_affected' : 'affected', source: `openvex s${i}` });
  }
  const entries: IgnoreEntry[] = [];
  for (let i = 0; i < 12; i++) {
    const name = pick(names);
    entries.push({ id: pick(ids), reason: `r${i}`, package: name, ...(rand() < 0.5 ? { purl: `pkg:npm/${name}@${pick(versions)}` } : {}) });
  }
  const findings: Finding[] = [];
  for (let i = 0; i < 3000; i++) {
    const id = pick(ids);
    findings.push(finding(id, rand() < 0.5 ? [pick(ids)].filter((a) => a !== id) : [], pick(names), pick(versions)));
  }
  const gate = applyGate(findings, { ignore: { path: 'i', entries }, vex: statements });
  gate.findings.forEach((f, i) => {
    const original = findings[i]!;
    const entry = entries.find((e) => entryMatches(e, original));
    const st = statements.find((s) => suppresses(s) && statementCovers(s, original));
    const expected = entry ? `ignorefile ${entry.reason}` : st ? `vex ${st.source}` : 'none';
    const got = f.suppressed ? `${f.suppressed.by} ${f.suppressed.by === 'vex' ? f.suppressed.reason.replace(/^not_affected \((.*)\)$/, '$1') : f.suppressed.reason}` : 'none';
    assert.equal(got, expected, `finding ${i}: ${original.id} ${original.package.purl}`);
  });
  assert.ok(gate.suppressed.vex > 100 && gate.suppressed.ignorefile > 100, JSON.stringify(gate.suppressed));
});

test('150,000 statements against 200,000 findings: each finding suppressed by its own statement', () => {
  const findings: Finding[] = [];
  for (let i = 0; i < 200_000; i++) findings.push(finding(`CVE-2026-${i % 50}`, [], `p${i}`, '1.0.0'));
  const statements: VexStatement[] = [];
  for (let i = 0; i < 150_000; i++) statements.push({ ids: [`CVE-2026-${i % 50}`], purls: [`pkg:npm/p${i}@1.0.0`], status: 'not_affected', source: `s${i}` });
  const gate = applyGate(findings, { vex: statements });
  assert.equal(gate.suppressed.vex, 150_000);
  assert.equal(gate.active.length, 50_000);
  assert.equal(gate.findings[149_999]?.suppressed?.reason, 'not_affected (s149999)');
  assert.equal(gate.findings[150_000]?.suppressed, undefined);
});
