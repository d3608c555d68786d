/**
 * Candidate → Package: every format reduces a component to a `Candidate`;
 * this turns it into a Package named and versioned from the canonical purl.
 */
import type { Package, SourcePackage } from '../../core/index.js';
import {
  canonicalPurl,
  ecosystemOfPurl,
  epochOfPurl,
  packageNameOfPurl,
  packageVersionOfPurl,
  parsePurl,
  pep503Name,
  type Purl,
  upstreamOfPurl,
} from '../purl.js';
import type { Context, LayerHint } from './context.js';
import { clip } from './fields.js';

/** The fields every format feeds in; the package is built from the canonical purl. */
export interface Candidate {
  purl: string;
  name?: string;
  group?: string;
  version?: string;
  foundBy?: string;
  path?: string;
  licenses?: string[];
  source?: SourcePackage;
  metadata?: Record<string, string>;
  layer?: LayerHint;
  /** For warnings: `components[3]`. */
  where: string;
}

function comparableName(type: string, name: string): string {
  switch (type) {
    case 'pypi':
      return pep503Name(name);
    case 'npm':
    case 'deb':
    case 'apk':
    case 'composer':
    case 'alpm':
      return name.toLowerCase();
    default:
      return name;
  }
}

/** Builds a Package from a candidate, or pushes a warning and answers undefined. */
export function buildPackage(c: Candidate, ctx: Context): Package | undefined {
  let canonical: string;
  let purl: Purl;
  try {
    canonical = canonicalPurl(c.purl);
    purl = parsePurl(canonical);
  } catch (error) {
    ctx.warnings.push(`${c.where}: ${error instanceof Error ? error.message : String(error)}; skipped`);
    return undefined;
  }
  const ecosystem = ecosystemOfPurl(purl);
  if (!ecosystem) {
    ctx.warnings.push(`${c.where}: purl type "${purl.type}" is not one we catalogue (${clip(canonical)}); skipped`);
    return undefined;
  }
  const purlName = packageNameOfPurl(purl);
  let name = purlName;
  if (c.name) {
    const candidates = [c.name];
    if (c.group) candidates.unshift(purl.type === 'maven' ? `${c.group}:${c.name}` : `${c.group}/${c.name}`);
    const match = candidates.find((n) => comparableName(purl.type, n) === comparableName(purl.type, purlName));
    if (match) name = match;
  }
  const version = packageVersionOfPurl(purl) ?? c.version ?? '';
  const epoch = epochOfPurl(purl);
  const arch = purl.qualifiers.arch;
  let source = c.source ?? upstreamOfPurl(parsePurl(c.purl));
  if (!source && (purl.type === 'deb' || purl.type === 'apk')) source = { name };
  if (source?.version !== undefined && (source.version === version || source.version === '')) source = { name: source.name };
  const licenses = c.licenses?.filter((l) => l.trim() !== '');
  const pkg: Package = {
    name,
    version,
    ecosystem,
    purl: canonical,
    foundBy: c.foundBy ?? 'sbom',
    path: (c.path ?? '').replace(/^\/+/, ''),
    ...(source ? { source } : {}),
    ...(arch ? { arch } : {}),
    ...(licenses && licenses.length ? { licenses } : {}),
    ...(epoch !== undefined ? { epoch } : {}),
    ...(c.metadata && Object.keys(c.metadata).length ? { metadata: c.metadata } : {}),
  };
  return c.layer ? ctx.withLayer(pkg, c.layer) : pkg;
}
