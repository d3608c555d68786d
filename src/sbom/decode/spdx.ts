/** SPDX 2.2 / 2.3 JSON → DecodedSbom. */
import { isDigest, type OsRelease, type Package, type SourcePackage } from '../../core/index.js';
import { osSourceFromProperties, PROP, parsePlatformString, type SbomImage } from '../common.js';
import { SbomError } from '../errors.js';
import { type Context, finish, type LayerHint } from './context.js';
import { addEdge, applyDependencies } from './dependencies.js';
import { rec, str } from './fields.js';
import type { DecodedSbom } from './options.js';
import { buildPackage, type Candidate } from './package.js';

export function decodeSpdx(doc: Record<string, unknown>, ctx: Context): DecodedSbom {
  const version = doc.spdxVersion as string;
  if (version !== 'SPDX-2.2' && version !== 'SPDX-2.3') throw new SbomError('SBOM_UNSUPPORTED', `${version.slice(0, 20)} is not supported (SPDX-2.2 and SPDX-2.3 JSON are)`);
  if (doc.packages !== undefined && !Array.isArray(doc.packages)) throw new SbomError('SBOM_INVALID', 'SPDX packages is not an array');
  const creators = rec(doc.creationInfo)?.creators;
  const producer = Array.isArray(creators)
    ? creators.map((c) => (typeof c === 'string' ? /^Tool:\s*([A-Za-z0-9_.]+?)(?:-v?\d.*)?$/.exec(c)?.[1]?.toLowerCase() : undefined)).find((c) => c)
    : undefined;
  const extracted = new Map<string, string>();
  if (Array.isArray(doc.hasExtractedLicensingInfos)) {
    for (const e of doc.hasExtractedLicensingInfos) {
      const r = rec(e);
      const id = str(r?.licenseId);
      const name = str(r?.name) ?? str(r?.extractedText);
      if (id && name) extracted.set(id, name);
    }
  }
  if (Array.isArray(doc.annotations)) {
    for (const a of doc.annotations) {
      const comment = str(rec(a)?.comment);
      if (comment?.startsWith(`${PROP.incomplete}: `)) ctx.incomplete.push(comment.slice(PROP.incomplete.length + 2));
    }
  }
  let os: OsRelease | undefined;
  let image: SbomImage | undefined;
  const packages: Package[] = [];
  const purlById = new Map<string, string>();
  ((doc.packages as unknown[] | undefined) ?? []).forEach((item, i) => {
    ctx.count();
    const p = rec(item);
    if (!p) {
      ctx.warnings.push(`packages[${i}]: not an object; skipped`);
      return;
    }
    const purpose = str(p.primaryPackagePurpose)?.toUpperCase().replace('-', '_');
    const notes = spdxNotes(p);
    if (purpose === 'CONTAINER' && !image) {
      image = spdxImage(p, notes);
      return;
    }
    if (purpose === 'OPERATING_SYSTEM' && !os) {
      const id = str(p.name)?.toLowerCase();
      if (id) {
        const codename = notes.get(PROP.osCodename);
        const idLike = notes.get(PROP.osIdLike)?.split(/\s+/).filter((s) => s);
        os = {
          id,
          ...(str(p.versionInfo) ? { versionId: p.versionInfo as string } : {}),
          ...(codename ? { versionCodename: codename } : {}),
          ...(str(p.description) ? { prettyName: p.description as string } : {}),
          ...(idLike?.length ? { idLike } : {}),
          ...(notes.get(PROP.osDistroless) === 'true' ? { distroless: true } : {}),
          ...osSourceFromProperties((name) => notes.get(name)),
          path: notes.get(PROP.osPath) ?? '',
        };
      }
      return;
    }
    const purl = spdxPurl(p);
    if (!purl) {
      ctx.noPurlSeen();
      return;
    }
    const pkg = buildPackage(spdxCandidate(p, notes, purl, extracted, `packages[${i}]`), ctx);
    if (!pkg) return;
    packages.push(pkg);
    const id = str(p.SPDXID);
    if (id) purlById.set(id, pkg.purl);
  });
  const edges = new Map<string, Set<string>>();
  if (Array.isArray(doc.relationships)) {
    for (const item of doc.relationships) {
      ctx.count();
      const r = rec(item);
      const type = str(r?.relationshipType);
      const a = typeof r?.spdxElementId === 'string' ? purlById.get(r.spdxElementId) : undefined;
      const b = typeof r?.relatedSpdxElement === 'string' ? purlById.get(r.relatedSpdxElement) : undefined;
      if (!a || !b || a === b) continue;
      if (type === 'DEPENDS_ON') addEdge(edges, a, b);
      else if (type === 'DEPENDENCY_OF') addEdge(edges, b, a);
    }
  }
  applyDependencies(packages, edges);
  return finish('spdx', version, producer, image, os, packages, ctx);
}

function spdxPurl(p: Record<string, unknown>): string | undefined {
  if (!Array.isArray(p.externalRefs)) return undefined;
  for (const ref of p.externalRefs) {
    const r = rec(ref);
    const category = str(r?.referenceCategory)?.toUpperCase().replace('_', '-');
    if (r && category === 'PACKAGE-MANAGER' && r.referenceType === 'purl' && typeof r.referenceLocator === 'string') return r.referenceLocator;
  }
  return undefined;
}

/** `key: value` annotation comments (ours: `portcullis:…: v`; Trivy: `LayerDiffID: sha256:…`). */
function spdxNotes(p: Record<string, unknown>): Map<string, string> {
  const out = new Map<string, string>();
  if (!Array.isArray(p.annotations)) return out;
  for (const a of p.annotations) {
    const comment = str(rec(a)?.comment);
    if (!comment) continue;
    const m = /^([A-Za-z][A-Za-z0-9:._-]*?):\s+(.*)$/s.exec(comment);
    if (m && !out.has(m[1] as string)) out.set(m[1] as string, (m[2] as string).trim());
  }
  return out;
}

function spdxImage(p: Record<string, unknown>, notes: Map<string, string>): SbomImage | undefined {
  const name = str(p.name);
  if (!name) return undefined;
  const version = str(p.versionInfo);
  const platform = notes.get(PROP.imagePlatform);
  const parsedPlatform = platform ? parsePlatformString(platform) : undefined;
  const config = notes.get(PROP.imageConfigDigest);
  return {
    name,
    ...(version && isDigest(version) ? { digest: version } : {}),
    ...(config && isDigest(config) ? { configDigest: config } : {}),
    ...(parsedPlatform ? { platform: parsedPlatform } : {}),
  };
}

/** Top-level AND operands of a licence expression (parentheses of a whole operand removed). */
function andOperands(expression: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const ch = expression[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (depth === 0 && expression.startsWith(' AND ', i)) {
      out.push(expression.slice(start, i));
      start = i + 5;
      i += 4;
    }
  }
  out.push(expression.slice(start));
  return out
    .map((s) => s.trim())
    .map((s) => (/^\(.*\)$/.test(s) && balanced(s.slice(1, -1)) ? s.slice(1, -1).trim() : s))
    .filter((s) => s);
}

function balanced(s: string): boolean {
  let depth = 0;
  for (const ch of s) {
    if (ch === '(') depth++;
    else if (ch === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

function spdxCandidate(p: Record<string, unknown>, notes: Map<string, string>, purl: string, extracted: Map<string, string>, where: string): Candidate {
  const declared = str(p.licenseDeclared) ?? str(p.licenseConcluded);
  const licenses =
    declared && declared !== 'NOASSERTION' && declared !== 'NONE'
      ? andOperands(declared).map((op) => extracted.get(op) ?? op)
      : undefined;
  let source: SourcePackage | undefined;
  const ourSource = notes.get(PROP.sourceName);
  if (ourSource) {
    const v = notes.get(PROP.sourceVersion);
    source = { name: ourSource, ...(v ? { version: v } : {}) };
  } else {
    const m = /^built package from:\s*(\S+)(?:\s+(\S+))?/.exec(str(p.sourceInfo) ?? '');
    if (m) source = { name: m[1] as string, ...(m[2] ? { version: m[2] } : {}) };
  }
  const metadata: Record<string, string> = {};
  for (const [k, v] of notes) if (k.startsWith(PROP.metadataPrefix)) metadata[k.slice(PROP.metadataPrefix.length)] = v;
  const layer: LayerHint = {};
  const index = notes.get(PROP.layerIndex);
  if (index !== undefined && /^\d+$/.test(index)) layer.index = Number(index);
  const digest = notes.get(PROP.layerDigest) ?? notes.get('LayerDigest');
  if (digest) layer.digest = digest;
  const diffId = notes.get(PROP.layerDiffId) ?? notes.get('LayerDiffID');
  if (diffId) layer.diffId = diffId;
  const name = str(p.name);
  const version = str(p.versionInfo);
  const foundBy = notes.get(PROP.foundBy) ?? notes.get('PkgType');
  const path = notes.get(PROP.path) ?? notes.get('FilePath');
  return {
    purl,
    where,
    ...(name ? { name } : {}),
    ...(version ? { version } : {}),
    ...(foundBy ? { foundBy } : {}),
    ...(path ? { path } : {}),
    ...(licenses ? { licenses } : {}),
    ...(source ? { source } : {}),
    ...(Object.keys(metadata).length ? { metadata } : {}),
    layer,
  };
}
