/**
 * Real rpm databases for tests, where no real one of a distribution can be
 * had: packages built by Debian's `rpmbuild` from minimal specs (noarch, no
 * files) and installed with `rpm --justdb` into a fresh SQLite rpmdb, the
 * format Fedora-era distributions write. Names, epochs and releases carry the
 * distribution's tags (`.amzn2023`, `.el8_9`, `.ph4`), which is what matching
 * reads; a spec may build binary subpackages of one source rpm (`-n`).
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from './peers.js';

export interface RpmSpec {
  readonly name: string;
  readonly version: string;
  readonly release: string;
  readonly epoch?: number;
  readonly license?: string;
  readonly modularityLabel?: string;
  /** Binary packages built from this source rpm besides its own (full names). */
  readonly subpackages?: readonly string[];
}

/** The text of a noarch spec with no files. */
export function rpmSpecText(spec: RpmSpec): string {
  return [
    `Name: ${spec.name}`,
    ...(spec.epoch !== undefined ? [`Epoch: ${spec.epoch}`] : []),
    `Version: ${spec.version}`,
    `Release: ${spec.release}`,
    'Summary: test',
    `License: ${spec.license ?? 'MIT'}`,
    'BuildArch: noarch',
    ...(spec.modularityLabel ? [`ModularityLabel: ${spec.modularityLabel}`] : []),
    '%description',
    'test',
    ...(spec.subpackages ?? []).flatMap((sub) => [`%package -n ${sub}`, 'Summary: test', `%description -n ${sub}`, 'test', `%files -n ${sub}`]),
    '%files',
    '',
  ].join('\n');
}

/**
 * Builds `specs` under `work` and installs every binary into a fresh SQLite
 * rpmdb at `dbpath` (created); returns the database file's path.
 */
export async function buildRpmDb(work: string, specs: readonly RpmSpec[], dbpath: string): Promise<string> {
  const top = join(work, 'rpmbuild');
  for (const d of ['SPECS', 'BUILD', 'RPMS', 'SOURCES', 'SRPMS', 'BUILDROOT']) mkdirSync(join(top, d), { recursive: true });
  for (const spec of specs) {
    const file = join(top, 'SPECS', `${spec.name}.spec`);
    writeFileSync(file, rpmSpecText(spec));
    const built = await runCommand('rpmbuild', ['--define', `_topdir ${top}`, '-bb', file]);
    assert.equal(built.code, 0, built.stderr);
  }
  const rpms = readdirSync(join(top, 'RPMS', 'noarch')).map((f) => join(top, 'RPMS', 'noarch', f));
  mkdirSync(dbpath, { recursive: true });
  const define = ['--define', '_db_backend sqlite'];
  const init = await runCommand('rpm', ['--initdb', '--dbpath', dbpath, ...define]);
  assert.equal(init.code, 0, init.stderr);
  const install = await runCommand('rpm', ['-i', '--nodeps', '--justdb', '--dbpath', dbpath, ...define, ...rpms]);
  assert.equal(install.code, 0, install.stderr);
  return join(dbpath, 'rpmdb.sqlite');
}

/** `buildRpmDb`, returning the database's bytes (for an image layer). */
export async function rpmDbBytes(work: string, specs: readonly RpmSpec[]): Promise<Buffer> {
  return readFileSync(await buildRpmDb(work, specs, join(work, 'rpmdb')));
}
