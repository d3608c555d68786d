/** Real packages installed by the real `npm`, against `npm ls --all` (the peer tier of npm.test.ts). */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  npmCataloger,
  parsePackageLock,
} from '../../../src/catalog/lang/npm.js';
import { runCommand } from '../../support/peers.js';
import { viewFromDir } from './support.js';

const ctx = {};

const rows = (pkgs: readonly { name: string; version: string; path: string }[]): string[] =>
  pkgs.map((p) => `${p.path} ${p.name}@${p.version}`).sort();

describe('npm: real packages from the npm registry', () => {
  let dir = '';
  let expected: string[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-npm-'));
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'probe-app', version: '1.0.0', private: true, dependencies: { lodash: '4.17.15', minimist: '1.2.5', debug: '4.3.4', express: '4.16.4' } }),
    );
    const install = await runCommand('npm', ['install', '--prefix', dir, '--ignore-scripts', '--no-audit', '--no-fund'], { timeoutMs: 240_000 });
    assert.equal(install.code, 0, install.stderr);
    const ls = await runCommand('npm', ['ls', '--all', '--parseable', '--long', '--prefix', dir]);
    assert.equal(ls.code, 0, ls.stderr);
    // `<abs path>:<name>@<version>`; the first line is the root app, which is not a dependency.
    expected = ls.stdout
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => {
        const colon = line.lastIndexOf(':');
        const rel = line.slice(dir.length + 1, colon);
        return `app/${rel}/package.json ${line.slice(colon + 1)}`;
      })
      .sort();
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('finds exactly what `npm ls --all` reports (58 installs, nested express deps included)', async () => {
    assert.ok(expected.length > 40, `npm ls listed ${expected.length}`);
    assert.ok(expected.some((r) => r.includes('node_modules/express/node_modules/debug/package.json debug@2.6.9')));
    const result = await npmCataloger.catalog(viewFromDir(dir, (p) => npmCataloger.wants(p), { prefix: 'app' }), ctx);
    assert.deepEqual(rows(result.packages), expected);
    assert.deepEqual(result.warnings, []);
    assert.ok(result.packages.some((p) => p.purl === 'pkg:npm/lodash@4.17.15' && p.licenses?.[0] === 'MIT'));
  });

  it('reads npm’s own lockfile v3 for the same install: the same name@version set', () => {
    const lockText = readFileSync(join(dir, 'package-lock.json'));
    assert.equal(JSON.parse(lockText.toString()).lockfileVersion, 3);
    const { packages, warnings } = parsePackageLock(lockText, 'app/package-lock.json');
    assert.deepEqual(warnings, []);
    const fromLs = [...new Set(expected.map((r) => r.split(' ')[1] as string))].sort();
    assert.deepEqual(packages.map((p) => `${p.name}@${p.version}`).sort(), fromLs);
    // express 4.16.4 depends on the debug installed under it (2.6.9), not the top-level 4.3.4.
    const express = packages.find((p) => p.name === 'express');
    assert.ok(express?.dependsOn?.includes('pkg:npm/debug@2.6.9'));
    assert.ok(!express?.dependsOn?.includes('pkg:npm/debug@4.3.4'));
    assert.deepEqual(packages.find((p) => p.name === 'debug' && p.version === '4.3.4')?.dependsOn, ['pkg:npm/ms@2.1.2']);
    assert.ok(readdirSync(join(dir, 'node_modules')).includes('express'));
  });
});
