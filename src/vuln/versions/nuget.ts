/**
 * NuGet package versions (https://learn.microsoft.com/nuget/concepts/package-versioning):
 * SemVer 2.0.0 plus legacy four-part versions, as NuGet.Versioning's
 * NuGetVersion parses them and VersionComparer.Default orders them.
 *
 * Written by hand: no maintained npm library implements NuGet's comparison.
 * Syntax: 1 to 4 dot-separated integers (missing parts are 0), an optional
 * `-label.label…` and an optional `+metadata`; labels are `[0-9A-Za-z-]+`.
 *
 * Order: major, minor, patch, revision; a release is above its pre-releases;
 * labels compare one by one: numeric labels numerically and below
 * alphanumeric ones, alphanumeric labels case-insensitively (ordinal); more
 * labels win when all shared ones are equal. Metadata is ignored, so
 * `1.0.0-Beta+a` equals `1.0.0-beta`.
 */
import { invalid } from './errors.js';
import { compareDigits, compareStrings, defineScheme, type Ordering, type ParsedVersion } from './scheme.js';

export interface NugetVersion extends ParsedVersion {
  readonly scheme: 'nuget';
  /** major, minor, patch, revision as digit strings without leading zeros. */
  readonly parts: readonly [string, string, string, string];
  readonly releaseLabels: readonly string[];
  readonly metadata: string;
  /** NuGet's normalised form: revision only when non-zero, labels and metadata kept. */
  readonly normalized: string;
}

const LABEL = '[0-9A-Za-z-]+';
const NUGET_RE = new RegExp(`^([0-9]+(?:\\.[0-9]+){0,3})(?:-(${LABEL}(?:\\.${LABEL})*))?(?:\\+(${LABEL}(?:\\.${LABEL})*))?$`);

export function parseNuget(version: string): NugetVersion {
  const m = NUGET_RE.exec(version.trim());
  if (!m) throw invalid('nuget', version, 'not MAJOR[.MINOR[.PATCH[.REVISION]]][-label][+metadata]');
  const nums = m[1]!.split('.').map((n) => n.replace(/^0+(?=.)/, ''));
  // NuGet stores each part as a .NET int.
  if (nums.some((n) => n.length > 10 || Number(n) > 2147483647)) throw invalid('nuget', version, 'version part out of range');
  while (nums.length < 4) nums.push('0');
  const parts = nums as [string, string, string, string];
  const releaseLabels = m[2] ? m[2].split('.') : [];
  const metadata = m[3] ?? '';
  const normalized =
    `${parts[0]}.${parts[1]}.${parts[2]}${parts[3] !== '0' ? `.${parts[3]}` : ''}` +
    `${releaseLabels.length ? `-${releaseLabels.join('.')}` : ''}${metadata ? `+${metadata}` : ''}`;
  return { scheme: 'nuget', raw: version, parts, releaseLabels, metadata, normalized };
}

function compareLabel(a: string, b: string): Ordering {
  const an = /^[0-9]+$/.test(a);
  const bn = /^[0-9]+$/.test(b);
  if (an && bn) return compareDigits(a, b);
  if (an) return -1;
  if (bn) return 1;
  return compareStrings(a.toUpperCase(), b.toUpperCase());
}

export function compareNugetParsed(a: NugetVersion, b: NugetVersion): Ordering {
  for (let i = 0; i < 4; i++) {
    const r = compareDigits(a.parts[i]!, b.parts[i]!);
    if (r !== 0) return r;
  }
  const x = a.releaseLabels;
  const y = b.releaseLabels;
  if (x.length === 0 || y.length === 0) return x.length === y.length ? 0 : x.length === 0 ? 1 : -1;
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const r = compareLabel(x[i]!, y[i]!);
    if (r !== 0) return r;
  }
  return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
}

export const nuget = defineScheme<NugetVersion>({ name: 'nuget', parse: parseNuget, compareParsed: compareNugetParsed });
