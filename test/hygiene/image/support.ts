/**
 * Images built on purpose for the image checks: layers from tar entries
 * (test/support/oci-builder.ts) with a config whose diff_ids match, and a
 * runner that lints them with fixed inputs (bundled EOL data, a fixed "now",
 * no advisory database unless given).
 */
import { readFileSync } from 'node:fs';
import { openSource } from '../../../src/engine/open.js';
import { lintImage, type LintImageOptions, type LintImageResult } from '../../../src/engine/lint.js';
import { BUNDLED_EOL_DATA } from '../../../src/hygiene/eol.js';
import type { ImageFinding } from '../../../src/hygiene/image/index.js';
import { buildLayout, sha256, tarOf, type TarEntry } from '../../support/oci-builder.js';

/** The time the planted images are judged at. */
export const NOW = new Date('2026-01-10T12:00:00Z');

export function osRelease(id: string, versionId: string, name = id): TarEntry {
  return { name: 'etc/os-release', body: `NAME="${name}"\nID=${id}\nVERSION_ID="${versionId}"\nPRETTY_NAME="${name} ${versionId}"\n` };
}

export const dir = (name: string, mode = 0o755): TarEntry => ({ name, type: 'directory', mode });

/** A real static ELF executable from the host (busybox-static). */
export function realElf(): Buffer {
  return readFileSync('/bin/busybox');
}

export interface ImageSpec {
  layers: TarEntry[][];
  /** The container config (User, Healthcheck, Env, …). Default: a clean one (USER 10001, a HEALTHCHECK). */
  container?: Record<string, unknown>;
  created?: string;
  /** created_by per layer (default `layer N`), plus extra empty-layer history entries appended. */
  createdBy?: string[];
  extraHistory?: Array<{ created_by: string; empty_layer?: boolean }>;
}

export const CLEAN_CONTAINER = {
  User: '10001:10001',
  Entrypoint: ['/app/server'],
  Healthcheck: { Test: ['CMD', '/app/server', '--health'], Interval: 30_000_000_000 },
  Env: ['PATH=/app'],
};

export async function buildImage(spec: ImageSpec): Promise<string> {
  const diffIds: string[] = [];
  for (const entries of spec.layers) diffIds.push(`sha256:${sha256(await tarOf(entries))}`);
  const config = {
    architecture: 'amd64',
    os: 'linux',
    created: spec.created ?? '2026-01-01T00:00:00Z',
    config: spec.container ?? CLEAN_CONTAINER,
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: [
      ...spec.layers.map((_l, i) => ({ created_by: spec.createdBy?.[i] ?? `layer ${i}` })),
      ...(spec.extraHistory ?? []),
    ],
  };
  const layout = await buildLayout({ layers: spec.layers.map((entries) => ({ entries })), config });
  return layout.name;
}

export async function lintNamed(name: string, options: LintImageOptions = {}): Promise<LintImageResult> {
  const source = await openSource(name, { env: process.env });
  try {
    return await lintImage(source, { now: NOW, dbPath: false, eol: { data: BUNDLED_EOL_DATA, from: 'bundled', warnings: [] }, ...options });
  } finally {
    await source.close();
  }
}

export async function lintSpec(spec: ImageSpec, options: LintImageOptions = {}): Promise<LintImageResult> {
  return lintNamed(await buildImage(spec), options);
}

/** `rule path@layer` lines, sorted, for exact comparisons. */
export function summary(findings: readonly ImageFinding[], rule?: string): string[] {
  return findings
    .filter((f) => rule === undefined || f.ruleId === rule)
    .map((f) => `${f.ruleId} ${f.location.path ?? '-'}@${f.location.layer?.index ?? '-'}`)
    .sort();
}

/** A clean minimal base: Alpine 3.22 os-release (supported on NOW), an app file, no shell, no package manager. */
export function cleanBase(): TarEntry[] {
  return [dir('etc'), osRelease('alpine', '3.22.1', 'Alpine Linux'), dir('app'), { name: 'app/server', body: '#!not-elf\n', mode: 0o755 }, dir('tmp', 0o1777)];
}
