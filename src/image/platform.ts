/**
 * Platforms (`os/arch[/variant]`): the host's, parsing the `--platform` flag,
 * and choosing an index entry the way containerd's default matcher does
 * (arm64 without a variant is v8; 32-bit arm defaults to v7).
 */
import { ImageError } from './errors.js';
import type { Descriptor, Platform } from '../core/index.js';

const ARCH_FROM_NODE: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
  mips: 'mips',
  mipsel: 'mipsle',
};

/** This host's platform; the OS is always linux, since container images run on a Linux kernel. */
export function hostPlatform(): Platform {
  const architecture = ARCH_FROM_NODE[process.arch] ?? process.arch;
  const platform: Platform = { os: 'linux', architecture };
  if (architecture === 'arm') {
    const variables = process.config.variables as unknown as Record<string, unknown>;
    platform.variant = `v${String(variables.arm_version ?? '7')}`;
  }
  return platform;
}

export function parsePlatform(text: string): Platform {
  const parts = text.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9._-]+$/i.test(p))) {
    throw new ImageError('REFERENCE_INVALID', `invalid platform "${text}": expected os/arch[/variant], e.g. linux/arm64/v8`);
  }
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  const platform: Platform = { os: os.toLowerCase(), architecture: normaliseArch(architecture.toLowerCase()) };
  if (variant) platform.variant = variant.toLowerCase();
  return platform;
}

export function formatPlatform(platform: Platform): string {
  return `${platform.os}/${platform.architecture}${platform.variant ? `/${platform.variant}` : ''}`;
}

function normaliseArch(arch: string): string {
  switch (arch) {
    case 'x86_64':
    case 'x86-64':
      return 'amd64';
    case 'aarch64':
      return 'arm64';
    case 'i386':
      return '386';
    default:
      return arch;
  }
}

function effectiveVariant(platform: Platform): string | undefined {
  if (platform.variant) return platform.variant;
  if (platform.architecture === 'arm64') return 'v8';
  if (platform.architecture === 'arm') return 'v7';
  return undefined;
}

export function platformMatches(wanted: Platform, candidate: Platform): boolean {
  if (wanted.os !== candidate.os || wanted.architecture !== normaliseArch(candidate.architecture)) return false;
  const want = effectiveVariant(wanted);
  return want === undefined || want === effectiveVariant(candidate);
}

/**
 * The index entry for `wanted`. Entries without a platform (attestations,
 * artifacts) are never chosen.
 */
export function selectPlatform(manifests: readonly Descriptor[], wanted: Platform): Descriptor {
  const match = manifests.find((entry) => entry.platform && platformMatches(wanted, entry.platform));
  if (match) return match;
  const available = manifests
    .filter((entry) => entry.platform && entry.platform.os !== 'unknown')
    .map((entry) => formatPlatform(entry.platform as Platform));
  throw new ImageError(
    'PLATFORM_NOT_FOUND',
    `no image for platform ${formatPlatform(wanted)} in the index; available: ${available.join(', ') || 'none'} (choose one with --platform)`,
  );
}
