/** Syft's native JSON (artifacts, distro, source with layers and manifest) → DecodedSbom. */
import { isDigest, type OsRelease, type Package } from '../../core/index.js';
import type { SbomImage } from '../common.js';
import { type Context, finish, type LayerHint } from './context.js';
import { addEdge, applyDependencies } from './dependencies.js';
import { rec, str } from './fields.js';
import type { DecodedSbom } from './options.js';
import { buildPackage, type Candidate } from './package.js';

export function decodeSyft(doc: Record<string, unknown>, ctx: Context): DecodedSbom {
  const schemaVersion = str(rec(doc.schema)?.version);
  const source = rec(doc.source);
  const meta = rec(source?.metadata);
  // Layer order: source.metadata.layers (digest there is the diffID), compressed digests from the manifest.
  const diffIds: string[] = [];
  if (Array.isArray(meta?.layers)) for (const l of meta.layers) diffIds.push(str(rec(l)?.digest) ?? '');
  const manifestDigests = syftManifestLayers(meta?.manifest);
  const layerByDiffId = new Map<string, LayerHint>();
  diffIds.forEach((d, index) => {
    const digest = manifestDigests[index];
    if (d) layerByDiffId.set(d, { index, diffId: d, ...(digest ? { digest } : {}) });
  });
  let image: SbomImage | undefined;
  if (source && (source.type === 'image' || meta?.imageID !== undefined)) {
    const name = str(meta?.userInput) ?? str(source.name);
    const digest = str(meta?.manifestDigest);
    const config = str(meta?.imageID);
    const os = str(meta?.os);
    const arch = str(meta?.architecture);
    const variant = str(meta?.variant);
    if (name) {
      image = {
        name,
        ...(digest && isDigest(digest) ? { digest } : {}),
        ...(config && isDigest(config) ? { configDigest: config } : {}),
        ...(os && arch ? { platform: { os, architecture: arch, ...(variant ? { variant } : {}) } } : {}),
      };
    }
  }
  const distro = rec(doc.distro);
  let os: OsRelease | undefined;
  const distroId = str(distro?.id)?.toLowerCase();
  if (distro && distroId) {
    const versionId = str(distro.versionID);
    const codename = str(distro.versionCodename);
    const pretty = str(distro.prettyName);
    const idLike = Array.isArray(distro.idLike) ? distro.idLike.filter((s): s is string => typeof s === 'string' && s !== '') : [];
    os = {
      id: distroId,
      ...(versionId ? { versionId } : {}),
      ...(codename ? { versionCodename: codename } : {}),
      ...(pretty ? { prettyName: pretty } : {}),
      ...(idLike.length ? { idLike } : {}),
      path: '',
    };
  }
  const packages: Package[] = [];
  const purlById = new Map<string, string>();
  (doc.artifacts as unknown[]).forEach((item, i) => {
    ctx.count();
    const a = rec(item);
    if (!a) {
      ctx.warnings.push(`artifacts[${i}]: not an object; skipped`);
      return;
    }
    const purl = str(a.purl);
    if (!purl) {
      ctx.noPurlSeen();
      return;
    }
    const pkg = buildPackage(syftCandidate(a, purl, layerByDiffId, `artifacts[${i}]`), ctx);
    if (!pkg) return;
    packages.push(pkg);
    const id = str(a.id);
    if (id) purlById.set(id, pkg.purl);
  });
  const edges = new Map<string, Set<string>>();
  if (Array.isArray(doc.artifactRelationships)) {
    for (const item of doc.artifactRelationships) {
      ctx.count();
      const r = rec(item);
      if (r?.type !== 'dependency-of') continue;
      // `parent` is a dependency of `child`.
      const dep = typeof r.parent === 'string' ? purlById.get(r.parent) : undefined;
      const dependent = typeof r.child === 'string' ? purlById.get(r.child) : undefined;
      if (dep && dependent && dep !== dependent) addEdge(edges, dependent, dep);
    }
  }
  applyDependencies(packages, edges);
  return finish('syft-json', schemaVersion, 'syft', image, os, packages, ctx);
}

/** Layer digests of the base64 manifest Syft embeds in `source.metadata.manifest`. */
function syftManifestLayers(manifest: unknown): string[] {
  if (typeof manifest !== 'string' || manifest.length > 8 * 1024 * 1024) return [];
  try {
    const parsed = rec(JSON.parse(Buffer.from(manifest, 'base64').toString('utf8')));
    if (!Array.isArray(parsed?.layers)) return [];
    return parsed.layers.map((l) => str(rec(l)?.digest) ?? '');
  } catch {
    return [];
  }
}

function syftCandidate(a: Record<string, unknown>, purl: string, layers: Map<string, LayerHint>, where: string): Candidate {
  const location = Array.isArray(a.locations) ? rec(a.locations[0]) : undefined;
  const layerId = str(location?.layerID);
  const licenses: string[] = [];
  if (Array.isArray(a.licenses)) {
    for (const l of a.licenses) {
      if (typeof l === 'string') licenses.push(l);
      else {
        const r = rec(l);
        const text = str(r?.spdxExpression) ?? str(r?.value);
        if (text) licenses.push(text);
      }
    }
  }
  const meta = rec(a.metadata);
  const sourceName = str(meta?.source) ?? str(meta?.originPackage);
  const sourceVersion = str(meta?.sourceVersion);
  const name = str(a.name);
  const version = str(a.version);
  const foundBy = str(a.foundBy);
  const path = str(location?.path);
  return {
    purl,
    where,
    ...(name ? { name } : {}),
    ...(version ? { version } : {}),
    ...(foundBy ? { foundBy } : {}),
    ...(path ? { path } : {}),
    ...(licenses.length ? { licenses } : {}),
    ...(sourceName ? { source: { name: sourceName, ...(sourceVersion ? { version: sourceVersion } : {}) } } : {}),
    ...(layerId ? { layer: layers.get(layerId) ?? { diffId: layerId } } : {}),
  };
}
