import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { zipSync } from 'fflate';
import { LangCatalogError } from '../../../src/catalog/lang/errors.js';
import { javaCataloger, parseJavaArchive, parseManifest } from '../../../src/catalog/lang/java.js';
import { memFile, viewOf } from './support.js';

const ctx = {};

const pom = (g: string, a: string, v: string) => Buffer.from(`groupId=${g}\nartifactId=${a}\nversion=${v}\n`);

describe('java: zip bombs and broken archives', () => {
  it('a file that is not a zip is a warning naming it', async () => {
    const r = await javaCataloger.catalog(viewOf([memFile('opt/x.jar', 'PK but not really a zip file')]), ctx);
    assert.equal(r.packages.length, 0);
    assert.match(r.warnings?.[0] ?? '', /^opt\/x\.jar: not a zip archive/);
  });

  it('a truncated zip is a warning', () => {
    const zip = zipSync({ 'META-INF/maven/g/a/pom.properties': pom('g', 'a', '1'), 'big.bin': new Uint8Array(100_000).fill(7) });
    const r = parseJavaArchive(zip.subarray(0, zip.length - 30), 'a.jar');
    assert.equal(r.packages.length, 0);
    assert.match(r.warnings[0] ?? '', /^a\.jar: /);
  });

  it('nesting beyond the depth cap (4) is not read and makes the inventory incomplete; shallower levels are kept', () => {
    // level6.jar inside level5.jar … inside level0.jar, each with its own pom.properties.
    let inner: Uint8Array = zipSync({ 'META-INF/maven/g/level6/pom.properties': pom('g', 'level6', '6') });
    for (let level = 5; level >= 0; level--) {
      inner = zipSync({ 'META-INF/maven/g/level/pom.properties': pom('g', `level${level}`, String(level)), [`lib/level${level + 1}.jar`]: inner });
    }
    const r = parseJavaArchive(inner, 'app.jar');
    assert.deepEqual(r.packages.map((p) => p.name), ['g:level0', 'g:level1', 'g:level2', 'g:level3', 'g:level4']);
    assert.deepEqual(r.warnings, []);
    assert.equal(r.incomplete?.length, 1);
    assert.match(r.incomplete?.[0] ?? '', /^app\.jar!\/lib\/level1\.jar!\/lib\/level2\.jar!\/lib\/level3\.jar!\/lib\/level4\.jar!\/lib\/level5\.jar: nested deeper than 4/);
  });

  it('nested archives past the total uncompressed cap are not read and make the inventory incomplete (the bytes are never inflated)', () => {
    const zeros = new Uint8Array(8 << 20); // 8 MiB of zeros deflates to ~8 KiB
    const bomb = zipSync({ 'x.bin': zeros });
    const outer = zipSync({
      'META-INF/maven/g/outer/pom.properties': pom('g', 'outer', '1'),
      'lib/a.jar': zipSync({ 'META-INF/maven/g/a/pom.properties': pom('g', 'a', '1') }),
      // Stored (not deflated) inside, so the nested archive itself is 8 MiB uncompressed.
      'lib/zeros.jar': zipSync({ 'pad.bin': zeros, 'inner.jar': bomb }, { level: 0 }),
    });
    assert.ok(outer.length < 200_000);
    const r = parseJavaArchive(outer, 'app.war', { maxTotalBytes: 1 << 20 });
    assert.deepEqual(r.packages.map((p) => p.name).sort(), ['g:a', 'g:outer']);
    assert.deepEqual(r.warnings, []);
    assert.equal(r.incomplete?.length, 1);
    assert.match(r.incomplete?.[0] ?? '', /^app\.war!\/lib\/zeros\.jar: would pass the 1048576-byte uncompressed cap/);
  });

  it('an end record claiming more entries than fit is refused before walking', () => {
    const zip = Buffer.from(zipSync({ 'META-INF/MANIFEST.MF': Buffer.from('Manifest-Version: 1.0\n') }));
    zip.writeUInt16LE(65000, zip.length - 22 + 10);
    const r = parseJavaArchive(zip, 'c.jar');
    assert.match(r.warnings[0] ?? '', /^c\.jar: central directory claims 65000 entries/);
    let caught: unknown;
    try {
      throw new LangCatalogError('ZIP_INVALID', 'x');
    } catch (e) {
      caught = e;
    }
    assert.equal((caught as LangCatalogError).code, 'ZIP_INVALID');
  });

  it('manifest parsing: continuation lines, main section only', () => {
    const m = parseManifest('Manifest-Version: 1.0\r\nBundle-SymbolicName: org.exa\r\n mple.lib;singleton:=true\r\n\r\nName: x\r\nImplementation-Version: 9\r\n');
    assert.equal(m.get('Bundle-SymbolicName'), 'org.example.lib;singleton:=true');
    assert.equal(m.get('Implementation-Version'), undefined);
  });
});
