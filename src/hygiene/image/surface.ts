/**
 * Attack surface: image/shell-present, image/package-manager-present,
 * image/large-image, image/setuid (files no package owns), image/setuid-packaged
 * (the distribution's own, one summary), image/world-writable, image/pkg-cache.
 */
import type { ImageFile } from '../../core/index.js';
import type { ImageCheck, ImageLintContext } from './check.js';
import { PACKAGE_CACHES, PACKAGE_MANAGERS, SHELLS } from './selector.js';

/** A minimal image of each distribution: about this many OS packages and uncompressed bytes. */
export const MINIMAL_BASELINE: Readonly<Record<string, { readonly packages: number; readonly bytes: number; readonly example: string }>> = {
  debian: { packages: 90, bytes: 80e6, example: 'debian:12-slim' },
  ubuntu: { packages: 100, bytes: 80e6, example: 'ubuntu:24.04' },
  alpine: { packages: 15, bytes: 8e6, example: 'alpine:3.22' },
  rhel: { packages: 110, bytes: 100e6, example: 'ubi9-minimal' },
  rocky: { packages: 110, bytes: 100e6, example: 'rockylinux:9-minimal' },
  almalinux: { packages: 110, bytes: 100e6, example: 'almalinux:9-minimal' },
  centos: { packages: 150, bytes: 200e6, example: 'centos:7' },
  amzn: { packages: 110, bytes: 150e6, example: 'amazonlinux:2023' },
};
const PACKAGE_FACTOR = 2;
const SIZE_FACTOR = 3;

function megabytes(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(1)} GB` : `${Math.round(n / 1e6)} MB`;
}

function mode(m: number): string {
  return m.toString(8).padStart(4, '0');
}

function present(ctx: ImageLintContext, paths: readonly string[]): ImageFile[] {
  const wanted = new Set(paths);
  const out: ImageFile[] = [];
  for (const f of ctx.facts.view.files()) if (wanted.has(f.path)) out.push(f);
  return out;
}

function check(ctx: ImageLintContext): void {
  const { inventory, layerScan } = ctx.facts;
  // Shells.
  const shells = present(ctx, SHELLS);
  if (shells.length > 0) {
    const first = shells[0] as ImageFile;
    ctx.report({
      ruleId: 'image/shell-present',
      path: first.path,
      layer: first.layer,
      message: `a shell is present: ${shells.map((s) => s.path).join(', ')}`,
    });
  }
  // OS package managers.
  const managers = present(ctx, PACKAGE_MANAGERS.map((m) => m.path));
  if (managers.length > 0) {
    const names = [...new Set(managers.map((f) => PACKAGE_MANAGERS.find((m) => m.path === f.path)?.name ?? f.path))];
    const first = managers[0] as ImageFile;
    ctx.report({
      ruleId: 'image/package-manager-present',
      path: first.path,
      layer: first.layer,
      message: `OS package manager present: ${names.join(', ')} (${managers.map((m) => m.path).join(', ')})`,
    });
  }
  // Size and package count against a minimal base.
  const os = inventory.os;
  const baseline = os ? MINIMAL_BASELINE[os.id] : undefined;
  if (baseline) {
    const count = inventory.packages.filter((p) => p.foundBy === 'dpkg' || p.foundBy === 'apk' || p.foundBy === 'rpm').length;
    const bytes = ctx.facts.uncompressedSize;
    const tooMany = count > baseline.packages * PACKAGE_FACTOR;
    const tooBig = bytes !== undefined && bytes > baseline.bytes * SIZE_FACTOR;
    if (tooMany || tooBig) {
      ctx.report({
        ruleId: 'image/large-image',
        message: `${count} OS packages${bytes !== undefined ? ` and ${megabytes(bytes)} uncompressed` : ''}; a minimal ${baseline.example} has about ${baseline.packages} packages and ${megabytes(baseline.bytes)}`,
      });
    }
  }
  // setuid / setgid: files no package owns one by one, the distribution's own as one summary.
  const owned = ctx.ownedPaths();
  const packaged: string[] = [];
  for (const hit of layerScan.setuid) {
    if (owned.has(hit.path) || owned.has(ctx.physical(hit.path))) {
      packaged.push(hit.path);
      continue;
    }
    const bits = [(hit.mode & 0o4000) !== 0 ? `setuid (owner uid ${hit.uid})` : '', (hit.mode & 0o2000) !== 0 ? `setgid (group gid ${hit.gid})` : ''].filter(Boolean).join(' and ');
    ctx.report({ ruleId: 'image/setuid', path: hit.path, layer: hit.layer, message: `${hit.path} is ${bits}, mode ${mode(hit.mode)}, and no package owns it` });
  }
  if (packaged.length > 0) {
    packaged.sort();
    const shown = packaged.slice(0, 8).map((p) => p.slice(p.lastIndexOf('/') + 1));
    const more = packaged.length > shown.length ? `, and ${packaged.length - shown.length} more` : '';
    ctx.report({
      ruleId: 'image/setuid-packaged',
      message: `${packaged.length} setuid/setgid file${packaged.length === 1 ? '' : 's'} installed by OS packages: ${shown.join(', ')}${more}`,
    });
  }
  // World-writable directories without the sticky bit.
  for (const hit of layerScan.worldWritable) {
    ctx.report({
      ruleId: 'image/world-writable',
      path: hit.path,
      layer: hit.layer,
      message: `${hit.path}/ is world-writable without the sticky bit, mode ${mode(hit.mode)}`,
    });
  }
  // Package-manager caches.
  const caches = new Map<string, ImageFile[]>();
  for (const f of ctx.facts.view.files()) {
    if (f.kind !== 'file' && f.kind !== 'hardlink') continue;
    const cache = PACKAGE_CACHES.find((c) => c.test(f.path));
    if (!cache) continue;
    const list = caches.get(cache.name) ?? [];
    list.push(f);
    caches.set(cache.name, list);
  }
  for (const [name, files] of caches) {
    const bytes = files.reduce((n, f) => n + f.size, 0);
    const layers = [...new Set(files.map((f) => f.layer.index))].sort((a, b) => a - b);
    const first = files[0] as ImageFile;
    const dir = first.path.slice(0, first.path.lastIndexOf('/'));
    ctx.report({
      ruleId: 'image/pkg-cache',
      path: dir,
      layer: first.layer,
      message: `${name}: ${files.length} file${files.length === 1 ? '' : 's'}, ${bytes >= 1e6 ? megabytes(bytes) : `${bytes} bytes`}, left by layer${layers.length > 1 ? 's' : ''} ${layers.join(', ')}`,
    });
  }
}

export const surfaceCheck: ImageCheck = {
  name: 'surface',
  rules: ['image/shell-present', 'image/package-manager-present', 'image/large-image', 'image/setuid', 'image/setuid-packaged', 'image/world-writable', 'image/pkg-cache'],
  check,
};
