import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  npmCataloger,
  npmPurl,
  parsePackageJson,
  parsePackageLock,
  parsePnpmLock,
  parseYarnLock,
} from '../../../src/catalog/lang/npm.js';
import { VULNDATA } from '../../support/paths.js';
import { LAYER, memFile, viewFromDir, viewOf } from './support.js';

const HAPPY = join(VULNDATA, 'pkgdb/npm/trivy-npm-analyzer-testdata/happy');
const PJSON = join(VULNDATA, 'pkgdb/npm/trivy-packagejson-testdata');
const ctx = {};

const rows = (pkgs: readonly { name: string; version: string; path: string }[]): string[] =>
  pkgs.map((p) => `${p.path} ${p.name}@${p.version}`).sort();

describe('npm: trivy node_modules tree (nested duplicates)', () => {
  it('reports every installed package.json, nested duplicates at their own paths, and skips the lock file beside node_modules', async () => {
    const view = viewFromDir(HAPPY, npmCataloger.wants.bind(npmCataloger), { prefix: 'app' });
    // The walker keeps the lock file too (the cataloguer decides not to read it).
    assert.ok(view.get('app/package-lock.json'));
    const result = await npmCataloger.catalog(view, ctx);
    assert.deepEqual(rows(result.packages), [
      'app/node_modules/@babel/parser/package.json @babel/parser@7.23.6',
      'app/node_modules/body-parser/node_modules/debug/package.json debug@2.6.9',
      'app/node_modules/body-parser/node_modules/ms/package.json ms@2.0.0',
      'app/node_modules/body-parser/package.json body-parser@1.18.3',
      'app/node_modules/express/node_modules/debug/package.json debug@2.6.9',
      'app/node_modules/express/node_modules/ms/package.json ms@2.0.0',
      'app/node_modules/express/package.json express@4.16.4',
      'app/node_modules/ms/package.json ms@2.1.1',
    ]);
    assert.deepEqual(result.warnings, []);
    const babel = result.packages.find((p) => p.name === '@babel/parser');
    assert.equal(babel?.purl, 'pkg:npm/%40babel/parser@7.23.6');
    assert.deepEqual(babel?.licenses, ['MIT']);
    assert.equal(babel?.ecosystem, 'npm');
    assert.equal(babel?.foundBy, 'npm');
    assert.deepEqual(babel?.layer, LAYER);
  });

  it('reads the lockfile v1 alone: nested resolution for dependsOn, dev dependencies left out', () => {
    const path = 'app/package-lock.json';
    const { packages, warnings } = parsePackageLock(readFileSync(join(HAPPY, 'package-lock.json')), path);
    assert.deepEqual(warnings, []);
    assert.deepEqual(packages.map((p) => `${p.name}@${p.version}`).sort(), [
      '@babel/parser@7.23.6',
      'array-flatten@1.1.1',
      'body-parser@1.18.3',
      'debug@2.6.9',
      'express@4.16.4',
      'ms@2.0.0',
      'ms@2.1.1',
    ]);
    // debug (nested under body-parser) requires ms → the nested ms 2.0.0, not the top-level 2.1.1.
    assert.deepEqual(packages.find((p) => p.name === 'debug')?.dependsOn, ['pkg:npm/ms@2.0.0']);
    assert.deepEqual(packages.find((p) => p.name === 'express')?.dependsOn, ['pkg:npm/debug@2.6.9']);
    const withDev = parsePackageLock(readFileSync(join(HAPPY, 'package-lock.json')), path, { includeDev: true });
    assert.equal(withDev.packages.find((p) => p.name === 'ansi-colors')?.metadata?.dev, 'true');
  });

  it('reads a lock file only where no node_modules is installed beside it', async () => {
    const lock = readFileSync(join(HAPPY, 'package-lock.json'));
    const files = [memFile('srv/a/package-lock.json', lock), memFile('srv/b/package-lock.json', lock), memFile('srv/b/node_modules/ms/package.json', '{"name":"ms","version":"2.1.1"}')];
    const result = await npmCataloger.catalog(viewOf(files, (p) => npmCataloger.wants(p)), ctx);
    const paths = new Set(result.packages.map((p) => p.path));
    assert.deepEqual([...paths].sort(), ['srv/a/package-lock.json', 'srv/b/node_modules/ms/package.json']);
  });
});

describe('npm: trivy package.json edge cases', () => {
  const parse = (file: string) => parsePackageJson(readFileSync(join(PJSON, file)), `app/node_modules/x/${file}`);
  it('reads name, version and licenses (string, legacy object, legacy array)', () => {
    assert.deepEqual(
      parse('package.json').packages.map((p) => [p.name, p.version, p.licenses]),
      [['lodash', '5.0.0', ['MIT']]],
    );
    assert.deepEqual(parse('legacy_array_package.json').packages[0]?.licenses, ['Public Domain', 'MIT']);
    assert.deepEqual(parse('legacy_package.json').packages[0]?.licenses, ['ISC']);
    assert.deepEqual(parse('mixed_array_license_package.json').packages[0]?.licenses, ['MIT']);
    for (const f of ['null_license_package.json', 'empty_array_license_package.json', 'invalid_license_package.json', 'unknown_license_object_package.json']) {
      const r = parse(f);
      assert.equal(r.packages.length, 1, f);
      assert.equal(r.packages[0]?.licenses, undefined, f);
    }
    assert.deepEqual(parse('workspace_as_map_package.json').packages.map((p) => p.purl), ['pkg:npm/example@1.0.0']);
  });
  it('warns, naming the file, for missing name/version, invalid names and broken JSON', () => {
    for (const f of ['noname.json', 'without_version_package.json', 'without_name_and_version_package.json', 'invalid_name.json', 'sad.json', 'invalid_package.json']) {
      const r = parse(f);
      assert.equal(r.packages.length, 0, f);
      assert.equal(r.warnings.length, 1, f);
      assert.ok(r.warnings[0]?.startsWith(`app/node_modules/x/${f}: `), r.warnings[0]);
    }
  });
  it('does not want the root app package.json or files inside a package', () => {
    assert.equal(npmCataloger.wants('app/package.json'), false);
    assert.equal(npmCataloger.wants('app/node_modules/x/lib/package.json'), false);
    assert.equal(npmCataloger.wants('app/node_modules/.package-lock.json'), false);
    assert.equal(npmCataloger.wants('app/node_modules/x/package-lock.json'), false);
    assert.notEqual(npmCataloger.wants('app/node_modules/@s/x/package.json'), false);
    assert.notEqual(npmCataloger.wants('app/yarn.lock'), false);
  });
});

// yarn and pnpm are not installed here: these lock files are crafted in the exact
// formats those tools write (yarn 1.22, yarn 3 berry, pnpm 8 lockfile 6.0 and pnpm 9).
describe('npm: yarn.lock and pnpm-lock.yaml (crafted, no shared fixture)', () => {
  it('yarn.lock v1: specs, scoped names, aliases and dependencies', () => {
    const text = `# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


"@babel/code-frame@^7.0.0", "@babel/code-frame@^7.10.4":
  version "7.12.11"
  resolved "https://registry.yarnpkg.com/@babel/code-frame/-/code-frame-7.12.11.tgz#f4ad435aa263db935b8f10f2c552d23fb716a63f"
  integrity sha512-Zt1yodBx1UcyiePMSkWnU4hPqhwq7hGi2nFL1LeA3EUl+q2LQx16MISgJ0+z7dnmgvP9QtIleuETGOiOH1RcIw==
  dependencies:
    "@babel/highlight" "^7.10.4"

"@babel/highlight@^7.10.4":
  version "7.10.4"
  resolved "https://registry.yarnpkg.com/@babel/highlight/-/highlight-7.10.4.tgz#7d1bdfd65753538fabe6c38596cdb76d9ac60143"
  dependencies:
    js-tokens "^4.0.0"

js-tokens@^4.0.0:
  version "4.0.0"
  resolved "https://registry.yarnpkg.com/js-tokens/-/js-tokens-4.0.0.tgz#19203fb59991df98e3a287050d4647cdeaf32499"

"string-width-cjs@npm:string-width@^4.2.0":
  version "4.2.3"
  resolved "https://registry.yarnpkg.com/string-width/-/string-width-4.2.3.tgz"
`;
    const { packages, warnings } = parseYarnLock(Buffer.from(text), 'app/yarn.lock');
    assert.deepEqual(warnings, []);
    assert.deepEqual(packages.map((p) => p.purl).sort(), [
      'pkg:npm/%40babel/code-frame@7.12.11',
      'pkg:npm/%40babel/highlight@7.10.4',
      'pkg:npm/js-tokens@4.0.0',
      'pkg:npm/string-width@4.2.3',
    ]);
    assert.deepEqual(packages.find((p) => p.name === '@babel/code-frame')?.dependsOn, ['pkg:npm/%40babel/highlight@7.10.4']);
  });

  it('yarn.lock berry: npm resolutions only (workspace and patch entries skipped)', () => {
    const text = `# This file is generated by running "yarn install" inside your project.
# Manual changes might be lost - proceed with caution!

__metadata:
  version: 6
  cacheKey: 8

"debug@npm:^4.3.4":
  version: 4.3.4
  resolution: "debug@npm:4.3.4"
  dependencies:
    ms: 2.1.2
  peerDependenciesMeta:
    supports-color:
      optional: true
  checksum: 3dbad3f94ea64f34431a9cbf0bafb61853eda57bff2880036153438f50fb5a84f27683ba0d8e5426bf41a8c6ff03879488120cf5b3a761e77953169c0600a708
  languageName: node
  linkType: hard

"ms@npm:2.1.2":
  version: 2.1.2
  resolution: "ms@npm:2.1.2"
  checksum: 673cdb2c3133eb050c745908d8ce632ed2c02d85640e2edb3ace856a2266a813b30c613569bf3354fdf4ea7d1a1494add3bfa95e2713baa27d0c2c71fc44f58f
  languageName: node
  linkType: hard

"probe@workspace:.":
  version: 0.0.0-use.local
  resolution: "probe@workspace:."
  dependencies:
    debug: ^4.3.4
  languageName: unknown
  linkType: soft

"resolve@patch:resolve@npm%3A^1.20.0#~builtin<compat/resolve>":
  version: 1.22.1
  resolution: "resolve@patch:resolve@npm%3A1.22.1#~builtin<compat/resolve>::version=1.22.1&hash=07638b"
  languageName: node
  linkType: hard
`;
    const { packages } = parseYarnLock(Buffer.from(text), 'app/yarn.lock');
    assert.deepEqual(packages.map((p) => p.purl).sort(), ['pkg:npm/debug@4.3.4', 'pkg:npm/ms@2.1.2']);
    assert.deepEqual(packages.find((p) => p.name === 'debug')?.dependsOn, ['pkg:npm/ms@2.1.2']);
  });

  it('pnpm-lock.yaml 6.0: peer suffixes stripped, dev packages left out', () => {
    const text = `lockfileVersion: '6.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

dependencies:
  debug:
    specifier: 4.3.4
    version: 4.3.4

devDependencies:
  typescript:
    specifier: 5.0.4
    version: 5.0.4

packages:

  /debug@4.3.4:
    resolution: {integrity: sha512-PRWFHuSU3eDtQJPvnNY7Jcket1j0t5OuOsFzPPzsekD52Zl8qUfFIPEiswXqIvHWGVHOgX+7G/vCNNhehwxfkQ==}
    engines: {node: '>=6.0'}
    peerDependencies:
      supports-color: '*'
    dependencies:
      ms: 2.1.2
    dev: false

  /ms@2.1.2:
    resolution: {integrity: sha512-sGkPx+VjMtmA6MX27oA4FBFELFCZZ4S4XqeGOXCv68tT+jb3vk/RyaKWP0PTKyWtmLSM0b+adUTEvbs1PEaH2w==}
    dev: false

  /@types/react-dom@18.2.4(@types/react@18.2.6):
    resolution: {integrity: sha512-G2mHoTMTL4yoydITgOGwWdWMVd8sNgyEP85xVmMKAPUBwQWm9wBPQUmvbeF4V3WBY1P7mmL4BkjQ0SqUpf1snw==}
    dev: false

  /typescript@5.0.4:
    resolution: {integrity: sha512-cW9T5W9xY37cc+jfEnaUvX91foxtHkza3Nw3wkoF4sSlKn0MONdkdEndig/qPBWXNkmplh3NzayQzCiHM4/hqw==}
    engines: {node: '>=12.20'}
    hasBin: true
    dev: true
`;
    const { packages } = parsePnpmLock(Buffer.from(text), 'app/pnpm-lock.yaml');
    assert.deepEqual(packages.map((p) => p.purl).sort(), ['pkg:npm/%40types/react-dom@18.2.4', 'pkg:npm/debug@4.3.4', 'pkg:npm/ms@2.1.2']);
    assert.deepEqual(packages.find((p) => p.name === 'debug')?.dependsOn, ['pkg:npm/ms@2.1.2']);
  });

  it('pnpm-lock.yaml 9.0: snapshots for dependencies, importers decide dev', () => {
    const text = `lockfileVersion: '9.0'

settings:
  autoInstallPeers: true
  excludeLinksFromLockfile: false

importers:

  .:
    dependencies:
      debug:
        specifier: 4.3.4
        version: 4.3.4
    devDependencies:
      typescript:
        specifier: 5.4.5
        version: 5.4.5

packages:

  debug@4.3.4:
    resolution: {integrity: sha512-PRWFHuSU3eDtQJPvnNY7Jcket1j0t5OuOsFzPPzsekD52Zl8qUfFIPEiswXqIvHWGVHOgX+7G/vCNNhehwxfkQ==}
    engines: {node: '>=6.0'}

  ms@2.1.2:
    resolution: {integrity: sha512-sGkPx+VjMtmA6MX27oA4FBFELFCZZ4S4XqeGOXCv68tT+jb3vk/RyaKWP0PTKyWtmLSM0b+adUTEvbs1PEaH2w==}

  typescript@5.4.5:
    resolution: {integrity: sha512-vcI4UpRgg81oIRUFwR0WSIHKt11nJ7SAVlYNIu+QpqeyXP+gpQJy/Z4+F0aGxSE4MqwjyXvW/TzgkLAx2AGHwQ==}
    engines: {node: '>=14.17'}
    hasBin: true

snapshots:

  debug@4.3.4:
    dependencies:
      ms: 2.1.2

  ms@2.1.2: {}

  typescript@5.4.5: {}
`;
    const { packages } = parsePnpmLock(Buffer.from(text), 'app/pnpm-lock.yaml');
    assert.deepEqual(packages.map((p) => p.purl).sort(), ['pkg:npm/debug@4.3.4', 'pkg:npm/ms@2.1.2']);
    assert.deepEqual(packages.find((p) => p.name === 'debug')?.dependsOn, ['pkg:npm/ms@2.1.2']);
  });

  it('truncated lock files and YAML make the inventory incomplete, naming the file, never throws', async () => {
    const lock = readFileSync(join(HAPPY, 'package-lock.json'));
    const cut = lock.subarray(0, Math.floor(lock.length / 2));
    const result = await npmCataloger.catalog(viewOf([memFile('x/package-lock.json', cut), memFile('y/pnpm-lock.yaml', 'packages: {a: [')]), ctx);
    assert.equal(result.packages.length, 0);
    assert.deepEqual(result.warnings, []);
    assert.equal(result.incomplete?.length, 2);
    assert.match(result.incomplete?.[0] ?? '', /^x\/package-lock\.json: invalid JSON/);
    assert.match(result.incomplete?.[1] ?? '', /^y\/pnpm-lock\.yaml: invalid YAML/);
  });

  it('npmPurl encodes the scope', () => {
    assert.equal(npmPurl('@scope/name', '1.0.0'), 'pkg:npm/%40scope/name@1.0.0');
  });
});
