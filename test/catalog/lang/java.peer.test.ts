/** Java archives built with the real `jar` tool, and Debian's jars against `unzip -p` (the peer tier of java.test.ts). */
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { javaCataloger, parseJavaArchive, parseProperties } from '../../../src/catalog/lang/java.js';
import { runCommand } from '../../support/peers.js';
import { VULNDATA } from '../../support/paths.js';
import { viewFromDir } from './support.js';

const META = join(VULNDATA, 'pkgdb/java/trivy-jar-metadata');
const ctx = {};

function listFiles(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(root, rel)).sort()) {
    const r = rel ? `${rel}/${e}` : e;
    if (lstatSync(join(root, r)).isDirectory()) {
      for (const file of listFiles(root, r)) out.push(file);
    }
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
