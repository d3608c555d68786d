import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { normalizePythonName, parsePythonMetadata, pythonCataloger } from '../../../src/catalog/lang/python.js';
import { VULNDATA } from '../../support/paths.js';
import { memFile, viewFromDir, viewOf } from './support.js';

const PARSER = join(VULNDATA, 'pkgdb/python/trivy-parser-testdata');
const ANALYZER = join(VULNDATA, 'pkgdb/python/trivy-analyzer-testdata');
const ctx = {};

describe('python: trivy parser fixtures (METADATA, PKG-INFO, .egg-info files)', () => {
  const cases: Array<[string, string, string, string, string[] | undefined]> = [
    // file, name, version, purl, licenses
    ['setuptools-51.3.3-py3.8.egg-info.PKG-INFO', 'setuptools', '51.3.3', 'pkg:pypi/setuptools@51.3.3', undefined],
    ['zipp-3.12.1.METADATA', 'zipp', '3.12.1', 'pkg:pypi/zipp@3.12.1', ['MIT License']],
    ['distlib-0.3.1.METADATA', 'distlib', '0.3.1', 'pkg:pypi/distlib@0.3.1', ['Python license']],
    ['networkx-3.0.METADATA', 'networkx', '3.0', 'pkg:pypi/networkx@3.0', undefined],
    ['iniconfig-2.0.0.METADATA', 'iniconfig', '2.0.0', 'pkg:pypi/iniconfig@2.0.0', ['MIT']],
    ['asyncssh-2.14.2.METADATA', 'asyncssh', '2.14.2', 'pkg:pypi/asyncssh@2.14.2', ['Eclipse Public License v2.0']],
    ['unidecode-egg-info.PKG-INFO', 'Unidecode', '0.4.1', 'pkg:pypi/unidecode@0.4.1', undefined],
    ['simple-0.1.0.METADATA', 'simple', '0.1.0', 'pkg:pypi/simple@0.1.0', undefined],
    ['distlib-0.3.1-py3.9.egg-info', 'distlib', '0.3.1', 'pkg:pypi/distlib@0.3.1', ['Python license']],
    [
      'pyphen-0.14.0.METADATA',
      'pyphen',
      '0.14.0',
      'pkg:pypi/pyphen@0.14.0',
      [
        'GNU General Public License v2 or later (GPLv2+)',
        'GNU Lesser General Public License v2 or later (LGPLv2+)',
        'Mozilla Public License 1.1 (MPL 1.1)',
      ],
    ],
  ];
  for (const [file, name, version, purl, licenses] of cases) {
    it(file, () => {
      const { packages, warnings } = parsePythonMetadata(readFileSync(join(PARSER, file)), `site-packages/${file}`);
      assert.deepEqual(warnings, []);
      assert.equal(packages.length, 1);
      const p = packages[0];
      assert.equal(p?.name, name);
      assert.equal(p?.version, version);
      assert.equal(p?.purl, purl);
      assert.equal(p?.ecosystem, 'pypi');
      assert.deepEqual(p?.licenses, licenses);
      assert.equal(p?.path, `site-packages/${file}`);
    });
  }
});

describe('python: trivy analyzer layouts, selected by path', () => {
  it('finds dist-info METADATA and egg-info PKG-INFO in real directory layouts', async () => {
    const result = await pythonCataloger.catalog(viewFromDir(ANALYZER, (p) => pythonCataloger.wants(p)), ctx);
    assert.deepEqual(result.warnings, []);
    assert.deepEqual(result.packages.map((p) => `${p.path} ${p.purl} ${(p.licenses ?? []).join('|')}`).sort(), [
      'packaging/classifier-license-dist/setuptools-51.3.3.dist-info/METADATA pkg:pypi/setuptools@51.3.3 MIT License',
      'packaging/classifier-license-egg/setuptools-51.3.3.egg-info/PKG-INFO pkg:pypi/setuptools@51.3.3 MIT License',
      'packaging/happy-dist/distlib-0.3.1.dist-info/METADATA pkg:pypi/distlib@0.3.1 Python license',
      'packaging/happy-egg/distlib-0.3.1.egg-info/PKG-INFO pkg:pypi/distlib@0.3.1 Python license',
      'packaging/license-file-dist/typing_extensions-4.4.0.dist-info/METADATA pkg:pypi/typing-extensions@4.4.0 ',
      'pip/python-dir/lib/python3.10/site-packages/Flask-2.0.0.dist-info/METADATA pkg:pypi/flask@2.0.0 BSD-3-Clause',
      'pip/python-dir/lib/python3.10/site-packages/annotated_types-0.7.0.dist-info/METADATA pkg:pypi/annotated-types@0.7.0 MIT License',
      'pip/python-dir/lib/python3.10/site-packages/click-8.0.0.dist-info/METADATA pkg:pypi/click@8.0.0 BSD-3-Clause',
    ]);
  });

  it('wants only metadata files', () => {
    assert.notEqual(pythonCataloger.wants('usr/lib/python3/dist-packages/six-1.16.0.egg-info'), false);
    assert.notEqual(pythonCataloger.wants('x/a-1.dist-info/METADATA'), false);
    assert.equal(pythonCataloger.wants('x/a-1.dist-info/RECORD'), false);
    assert.equal(pythonCataloger.wants('x/a-1.egg-info/requires.txt'), false);
  });
});

describe('python: sad paths and normalisation', () => {
  it('METADATA without Version is a warning naming the file', async () => {
    const bad = memFile('site/x-1.dist-info/METADATA', 'Metadata-Version: 2.1\nName: x\nSummary: no version\n\nVersion: 9.9 (in the body, not a header)\n');
    const good = memFile('site/y-2.dist-info/METADATA', 'Metadata-Version: 2.1\nName: Y_pkg.Name\nVersion: 2\n');
    const result = await pythonCataloger.catalog(viewOf([bad, good]), ctx);
    assert.deepEqual(result.warnings, ['site/x-1.dist-info/METADATA: x: no Version header; skipped']);
    assert.deepEqual(result.packages.map((p) => p.purl), ['pkg:pypi/y-pkg-name@2']);
  });
  it('PEP 503 normalisation', () => {
    assert.equal(normalizePythonName('Foo.Bar__baz-qux'), 'foo-bar-baz-qux');
  });
  it('binary junk is a warning, not a crash', () => {
    const r = parsePythonMetadata(Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x0a]), 'j/PKG-INFO');
    assert.equal(r.packages.length, 0);
    assert.equal(r.warnings.length, 1);
  });
});
