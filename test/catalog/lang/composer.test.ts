// No shared installed.json fixture exists and PHP is not installed here: these files
// are crafted in the exact shapes Composer 1 (array) and Composer 2 ({packages}) write.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { composerCataloger, parseComposerInstalled } from '../../../src/catalog/lang/composer.js';
import { memFile, viewOf } from './support.js';

const V2 = JSON.stringify({
  packages: [
    {
      name: 'psr/log',
      version: '3.0.0',
      version_normalized: '3.0.0.0',
      source: { type: 'git', url: 'https://github.com/php-fig/log.git', reference: 'fe5ea303b0887d5caefd3d431c3e61ad47037001' },
      require: { php: '>=8.0.0' },
      type: 'library',
      'install-path': '../psr/log',
      license: ['MIT'],
    },
    {
      name: 'monolog/monolog',
      version: '3.4.0',
      version_normalized: '3.4.0.0',
      require: { php: '>=8.1', 'psr/log': '^2.0 || ^3.0' },
      type: 'library',
      license: ['MIT'],
    },
    { name: 'phpunit/phpunit', version: '10.3.2', require: { 'ext-dom': '*' }, license: ['BSD-3-Clause'] },
  ],
  dev: true,
  'dev-package-names': ['phpunit/phpunit'],
});

const V1 = JSON.stringify([
  { name: 'symfony/polyfill-ctype', version: 'v1.27.0', version_normalized: '1.27.0.0', license: ['MIT'] },
  { name: 'guzzlehttp/guzzle', version: '6.5.8', require: { 'symfony/polyfill-ctype': '^1.11' }, license: 'MIT' },
]);

describe('composer: vendor/composer/installed.json (crafted, v1 and v2)', () => {
  it('v2: packages, licenses, dependsOn from require (platform requirements dropped), dev flagged', async () => {
    const r = await composerCataloger.catalog(viewOf([memFile('var/www/vendor/composer/installed.json', V2)], (p) => composerCataloger.wants(p)), {});
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(
      r.packages.map((p) => [p.name, p.version, p.purl, p.ecosystem, p.licenses?.join(','), p.dependsOn?.join(','), p.metadata?.dev]),
      [
        ['psr/log', '3.0.0', 'pkg:composer/psr/log@3.0.0', 'packagist', 'MIT', undefined, undefined],
        ['monolog/monolog', '3.4.0', 'pkg:composer/monolog/monolog@3.4.0', 'packagist', 'MIT', 'pkg:composer/psr/log@3.0.0', undefined],
        ['phpunit/phpunit', '10.3.2', 'pkg:composer/phpunit/phpunit@10.3.2', 'packagist', 'BSD-3-Clause', undefined, 'true'],
      ],
    );
  });
  it('v1: an array; a string license', () => {
    const r = parseComposerInstalled(Buffer.from(V1), 'app/vendor/composer/installed.json');
    assert.deepEqual(r.packages.map((p) => p.purl), ['pkg:composer/symfony/polyfill-ctype@v1.27.0', 'pkg:composer/guzzlehttp/guzzle@6.5.8']);
    assert.deepEqual(r.packages[1]?.licenses, ['MIT']);
    assert.deepEqual(r.packages[1]?.dependsOn, ['pkg:composer/symfony/polyfill-ctype@v1.27.0']);
  });
  it('truncated JSON makes the inventory incomplete; a wrong shape is a warning; both name the file', () => {
    const cut = parseComposerInstalled(Buffer.from(V2.slice(0, 100)), 'v/composer/installed.json');
    assert.equal(cut.packages.length, 0);
    assert.deepEqual(cut.warnings, []);
    assert.match(cut.incomplete?.[0] ?? '', /^v\/composer\/installed\.json: invalid JSON/);
    assert.match(parseComposerInstalled(Buffer.from('{"x":1}'), 'i.json').warnings[0] ?? '', /^i\.json: neither/);
    assert.equal(composerCataloger.wants('vendor/composer/installed.php'), false);
  });
});
