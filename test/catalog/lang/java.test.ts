import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { zipSync } from 'fflate';
import { LangCatalogError } from '../../../src/catalog/lang/errors.js';
import { javaCataloger, parseJavaArchive, parseManifest, parseProperties } from '../../../src/catalog/lang/java.js';
import { runCommand } from '../../support/peers.js';
import { VULNDATA } from '../../support/paths.js';
import { memFile, viewFromDir, viewOf } from './support.js';

const META = join(VULNDATA, 'pkgdb/java/trivy-jar-metadata');
const ctx = {};

function listFiles(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(root, rel)).sort()) {
    const r = rel ? `${rel}/${e}` : e;
    if (lstatSync(join(root, r)).isDirectory()) out.push(...listFiles(root, r));
    else out.push(r);
  }
  return out;
}

/**
 * Builds a real archive with the `jar` tool from extracted metadata: a path
 * `lib/x.jar!META-INF/…` becomes a nested archive `lib/x.jar` holding `META-INF/…`
 * (built first, recursively). ARCHIVE-LISTING.txt is documentation, not content.
 */
async function buildArchive(entries: Map<string, Buffer>, out: string, work: string): Promise<void> {
  const stage = mkdtempSync(join(work, 'stage-'));
  const nested = new Map<string, Map<string, Buffer>>();
  for (const [path, data] of entries) {
    const bang = path.indexOf('!');
    if (bang < 0) {
      mkdirSync(dirname(join(stage, path)), { recursive: true });
      writeFileSync(join(stage, path), data);
    } else {
      const inner = nested.get(path.slice(0, bang)) ?? new Map<string, Buffer>();
      inner.set(path.slice(bang + 1), data);
      nested.set(path.slice(0, bang), inner);
    }
  }
  for (const [path, inner] of nested) {
    mkdirSync(dirname(join(stage, path)), { recursive: true });
    await buildArchive(inner, join(stage, path), work);
  }
  const r = await runCommand('jar', ['--create', '--no-manifest', '--file', out, '-C', stage, '.']);
  assert.equal(r.code, 0, r.stderr);
}

/** pom.properties of the extracted metadata → `archive-path!/nested name@version` rows (the oracle). */
function expectedFromPoms(fixture: string, imagePath: string): string[] {
  const rows: string[] = [];
  for (const f of listFiles(join(META, fixture))) {
    const parts = f.split('!');
    const last = parts[parts.length - 1] ?? '';
    if (!/^META-INF\/(?:.*\/)?pom\.properties$/.test(last)) continue;
    const props = parseProperties(readFileSync(join(META, fixture, f), 'utf8'));
    const where = [imagePath, ...parts.slice(0, -1)].join('!/');
    rows.push(`${where} ${props.get('groupId')}:${props.get('artifactId')}@${props.get('version')}`);
  }
  return rows;
}

describe('java: real archives built with `jar` from trivy’s extracted jar/war/par metadata', () => {
  let work = '';
  let stage = '';
  let apps = '';
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'portcullis-java-'));
    stage = mkdtempSync(join(tmpdir(), 'portcullis-java-stage-'));
    apps = join(work, 'opt/app');
    mkdirSync(apps, { recursive: true });
    for (const fixture of readdirSync(META)) {
      const entries = new Map<string, Buffer>();
      for (const f of listFiles(join(META, fixture))) if (f !== 'ARCHIVE-LISTING.txt') entries.set(f, readFileSync(join(META, fixture, f)));
      await buildArchive(entries, join(apps, fixture), stage);
    }
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
    if (stage) rmSync(stage, { recursive: true, force: true });
  });

  // Coordinates a MANIFEST.MF gives where an archive has no pom.properties.
  const manifestOnly: Record<string, string[]> = {
    'analyzer-test.jar': ['opt/app/analyzer-test.jar org.apache:tomcat-embed-websocket@9.0.65'],
    'parser-license-from-jenkins-plugin.jar': ['opt/app/parser-license-from-jenkins-plugin.jar com.example:jenkins-plugin@1.0.0'],
    // Bundle-SymbolicName org.springframework.core, Implementation-Version 2.5.6.SEC03
    'parser-test.jar': ['opt/app/parser-test.jar org.springframework:core@2.5.6.SEC03'],
  };

  it('every fixture: exactly the pom.properties coordinates (nested included) plus manifest fallbacks', async () => {
    const result = await javaCataloger.catalog(viewFromDir(work, (p) => javaCataloger.wants(p)), ctx);
    assert.deepEqual(result.warnings, []);
    const expected = readdirSync(META)
      .flatMap((f) => [...expectedFromPoms(f, `opt/app/${f}`), ...(manifestOnly[f] ?? [])])
      .sort();
    assert.deepEqual(result.packages.map((p) => `${p.path} ${p.name}@${p.version}`).sort(), expected);
    // A jar nested in a war, and a jar nested two levels deep.
    assert.ok(expected.includes('opt/app/analyzer-test.war!/WEB-INF/lib/jackson-databind-2.9.10.6.jar com.fasterxml.jackson.core:jackson-databind@2.9.10.6'));
    assert.ok(expected.includes('opt/app/parser-nested.jar!/META-INF/jars/nested2.jar!/META-INF/jars/nested3.jar test:nested3@0.0.3'));
    // pom.properties outside META-INF (test resources in gizmo) are not coordinates of this archive.
    assert.ok(!result.packages.some((p) => p.name === 'com.fasterxml.jackson.core:jackson-databind' && p.path.includes('gizmo')));
    const jd = result.packages.find((p) => p.name === 'com.fasterxml.jackson.core:jackson-databind');
    assert.equal(jd?.purl, 'pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.9.10.6');
    assert.equal(jd?.ecosystem, 'maven');
    assert.deepEqual(jd?.metadata, { groupId: 'com.fasterxml.jackson.core', artifactId: 'jackson-databind', source: 'pom.properties' });
    const jenkins = result.packages.find((p) => p.name === 'com.example:jenkins-plugin');
    assert.deepEqual(jenkins?.licenses, ['Apache License, Version 2.0', 'MIT License']);
  });
});

describe('java: Debian’s jars in /usr/share/java against `unzip -p … pom.properties`', () => {
  it('every non-symlink jar: the same coordinates as its META-INF/**/pom.properties', async () => {
    const jars = readdirSync('/usr/share/java')
      .filter((f) => f.endsWith('.jar') && !lstatSync(join('/usr/share/java', f)).isSymbolicLink())
      .sort();
    assert.ok(jars.length >= 10, `${jars.length} jars`);
    let compared = 0;
    for (const jar of jars) {
      const abs = join('/usr/share/java', jar);
      const list = await runCommand('unzip', ['-Z1', abs]);
      assert.equal(list.code, 0, `${jar}: ${list.stderr}`);
      const poms = list.stdout.split('\n').filter((e) => /^META-INF\/(?:.*\/)?pom\.properties$/.test(e));
      const expected: string[] = [];
      for (const pom of poms) {
        const text = await runCommand('unzip', ['-p', abs, pom]);
        const props = parseProperties(text.stdout);
        expected.push(`${props.get('groupId')}:${props.get('artifactId')}@${props.get('version')}`);
      }
      const { packages, warnings } = parseJavaArchive(readFileSync(abs), `usr/share/java/${jar}`);
      assert.deepEqual(warnings, [], jar);
      const got = packages.filter((p) => p.metadata?.source === 'pom.properties').map((p) => `${p.name}@${p.version}`);
      assert.deepEqual(got.sort(), expected.sort(), jar);
      if (poms.length === 0) assert.ok(packages.every((p) => p.metadata?.source === 'MANIFEST.MF'), jar);
      compared += poms.length;
    }
    assert.ok(compared >= 10, `${compared} pom.properties compared`);
  });
});

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
