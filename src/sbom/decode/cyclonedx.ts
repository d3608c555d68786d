/** CycloneDX JSON 1.2–1.7 (ours, Syft's, Trivy's) → DecodedSbom. */
import { type Digest, isDigest, type OsRelease, type Package, type SourcePackage } from '../../core/index.js';
import { osSourceFromProperties, PROP, parsePlatformString, type SbomImage } from '../common.js';
import { SbomError } from '../errors.js';
import { type Context, finish, type LayerHint } from './context.js';
import { addEdge, applyDependencies } from './dependencies.js';
import { rec, str } from './fields.js';
import type { DecodedSbom } from './options.js';
import { buildPackage, type Candidate } from './package.js';

const CDX_VERSIONS = new Set(['1.2', '1.3', '1.4', '1.5', '1.6', '1.7']);

function properties(component: Record<string, unknown>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const list = component.properties;
  if (!Array.isArray(list)) return out;
  for (const p of list) {
    const r = rec(p);
    if (!r || typeof r.name !== 'string' || typeof r.value !== 'string') continue;
    const values = out.get(r.name);
    if (values) values.push(r.value);
    else out.set(r.name, [r.value]);
  }
  return out;
}

function cdxLicenses(component: Record<string, unknown>): string[] | undefined {
  if (!Array.isArray(component.licenses)) return undefined;
  const out: string[] = [];
  for (const entry of component.licenses) {
    const r = rec(entry);
    if (!r) continue;
    if (typeof r.expression === 'string') out.push(r.expression);
    const lic = rec(r.license);
    if (lic) {
      const text = str(lic.id) ?? str(lic.name);
      if (text) out.push(text);
    }
  }
  return out;
}

function producerOf(metadata: Record<string, unknown> | undefined): string | undefined {
  const tools = metadata?.tools;
  const list: unknown[] = Array.isArray(tools) ? tools : Array.isArray(rec(tools)?.components) ? (rec(tools)?.components as unknown[]) : [];
  for (const t of list) {
    const name = str(rec(t)?.name)?.toLowerCase();
    if (name) return name;
  }
  return undefined;
}

export function decodeCycloneDx(doc: Record<string, unknown>, ctx: Context): DecodedSbom {
  const specVersion = typeof doc.specVersion === 'string' ? doc.specVersion : undefined;
  if (!specVersion) throw new SbomError('SBOM_INVALID', 'CycloneDX document without specVersion');
  if (!CDX_VERSIONS.has(specVersion)) throw new SbomError('SBOM_UNSUPPORTED', `CycloneDX ${specVersion.slice(0, 10)} is not supported (1.2–1.7 are)`);
  if (doc.components !== undefined && !Array.isArray(doc.components)) throw new SbomError('SBOM_INVALID', 'CycloneDX components is not an array');
  const metadata = rec(doc.metadata);
  const producer = producerOf(metadata);
  for (const reason of metadata ? (properties(metadata).get(PROP.incomplete) ?? []) : []) ctx.incomplete.push(reason);
  const image = cdxImage(rec(metadata?.component));

  // Flatten nested components iteratively (hostile nesting cannot blow the stack).
  const flat: Array<{ c: Record<string, unknown>; where: string }> = [];
  const stack: Array<{ list: unknown[]; where: string }> = [{ list: (doc.components as unknown[] | undefined) ?? [], where: 'components' }];
  while (stack.length) {
    const { list, where } = stack.pop() as { list: unknown[]; where: string };
    list.forEach((item, i) => {
      ctx.count();
      const c = rec(item);
      if (!c) {
        ctx.warnings.push(`${where}[${i}]: not an object; skipped`);
        return;
      }
      flat.push({ c, where: `${where}[${i}]` });
      if (Array.isArray(c.components)) stack.push({ list: c.components, where: `${where}[${i}].components` });
    });
  }

  let os: OsRelease | undefined;
  const packages: Package[] = [];
  const purlByRef = new Map<string, string>();
  for (const { c, where } of flat) {
    const type = str(c.type);
    if (type === 'operating-system') {
      os ??= cdxOs(c);
      continue;
    }
    const rawPurl = str(c.purl);
    if (!rawPurl) {
      if (type !== 'file') ctx.noPurlSeen();
      continue;
    }
    const props = properties(c);
    const pkg = buildPackage(cdxCandidate(c, props, rawPurl, where), ctx);
    if (!pkg) continue;
    packages.push(pkg);
    const ref = str(c['bom-ref']);
    if (ref) purlByRef.set(ref, pkg.purl);
  }
  applyDependencies(packages, cdxDependencies(doc.dependencies, purlByRef, ctx));
  return finish('cyclonedx', specVersion, producer, image, os, packages, ctx);
}

function first(props: Map<string, string[]>, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = props.get(n)?.[0];
    if (v !== undefined && v !== '') return v;
  }
  return undefined;
}

function cdxCandidate(c: Record<string, unknown>, props: Map<string, string[]>, purl: string, where: string): Candidate {
  // Source package: ours, then Trivy (SrcName + [SrcEpoch:]SrcVersion[-SrcRelease]), then Syft metadata.
  let source: SourcePackage | undefined;
  const ourSource = first(props, PROP.sourceName);
  const trivySource = first(props, 'aquasecurity:trivy:SrcName');
  const syftSource = first(props, 'syft:metadata:source', 'syft:metadata:originPackage');
  if (ourSource) {
    const v = first(props, PROP.sourceVersion);
    source = { name: ourSource, ...(v ? { version: v } : {}) };
  } else if (trivySource) {
    const v = first(props, 'aquasecurity:trivy:SrcVersion');
    const rel = first(props, 'aquasecurity:trivy:SrcRelease');
    const ep = first(props, 'aquasecurity:trivy:SrcEpoch');
    const version = v ? `${ep && ep !== '0' ? `${ep}:` : ''}${v}${rel ? `-${rel}` : ''}` : undefined;
    source = { name: trivySource, ...(version ? { version } : {}) };
  } else if (syftSource) {
    const v = first(props, 'syft:metadata:sourceVersion');
    source = { name: syftSource, ...(v ? { version: v } : {}) };
  }
  const metadata: Record<string, string> = {};
  for (const [k, values] of props) {
    if (k.startsWith(PROP.metadataPrefix) && values[0] !== undefined) metadata[k.slice(PROP.metadataPrefix.length)] = values[0];
  }
  const index = first(props, PROP.layerIndex);
  const layer: LayerHint = {};
  if (index !== undefined && /^\d+$/.test(index)) layer.index = Number(index);
  const digest = first(props, PROP.layerDigest, 'aquasecurity:trivy:LayerDigest');
  if (digest) layer.digest = digest;
  const diffId = first(props, PROP.layerDiffId, 'aquasecurity:trivy:LayerDiffID', 'syft:location:0:layerID');
  if (diffId) layer.diffId = diffId;
  const name = str(c.name);
  const group = str(c.group);
  const version = str(c.version);
  const foundBy = first(props, PROP.foundBy, 'syft:package:foundBy', 'aquasecurity:trivy:PkgType');
  const path = first(props, PROP.path, 'syft:location:0:path', 'aquasecurity:trivy:FilePath');
  const licenses = cdxLicenses(c);
  return {
    purl,
    where,
    ...(name ? { name } : {}),
    ...(group ? { group } : {}),
    ...(version ? { version } : {}),
    ...(foundBy ? { foundBy } : {}),
    ...(path ? { path } : {}),
    ...(licenses ? { licenses } : {}),
    ...(source ? { source } : {}),
    ...(Object.keys(metadata).length ? { metadata } : {}),
    layer,
  };
}

function cdxImage(c: Record<string, unknown> | undefined): SbomImage | undefined {
  if (!c) return undefined;
  const name = str(c.name);
  if (!name) return undefined;
  const props = properties(c);
  const version = str(c.version);
  const platform = first(props, PROP.imagePlatform);
  const parsedPlatform = platform ? parsePlatformString(platform) : undefined;
  const config = first(props, PROP.imageConfigDigest, 'aquasecurity:trivy:ImageID');
  const repoDigest = first(props, 'aquasecurity:trivy:RepoDigest');
  const digest = version && isDigest(version) ? version : repoDigest?.includes('@') ? repoDigest.slice(repoDigest.indexOf('@') + 1) : undefined;
  return {
    name,
    ...(digest && isDigest(digest) ? { digest: digest as Digest } : {}),
    ...(config && isDigest(config) ? { configDigest: config } : {}),
    ...(parsedPlatform ? { platform: parsedPlatform } : {}),
  };
}

function cdxOs(c: Record<string, unknown>): OsRelease | undefined {
  const props = properties(c);
  const id = (first(props, 'syft:distro:id') ?? str(c.name))?.toLowerCase();
  if (!id) return undefined;
  const versionId = first(props, 'syft:distro:versionID') ?? str(c.version);
  const codename = first(props, PROP.osCodename, 'syft:distro:versionCodename');
  const pretty = str(c.description) ?? first(props, 'syft:distro:prettyName');
  const idLikeOurs = first(props, PROP.osIdLike)?.split(/\s+/).filter((s) => s);
  const idLikeSyft = [...props.entries()].filter(([k]) => /^syft:distro:idLike:\d+$/.test(k)).map(([, v]) => v[0] as string);
  const idLike = idLikeOurs?.length ? idLikeOurs : idLikeSyft;
  return {
    id,
    ...(versionId ? { versionId } : {}),
    ...(codename ? { versionCodename: codename } : {}),
    ...(pretty ? { prettyName: pretty } : {}),
    ...(idLike.length ? { idLike } : {}),
    ...(first(props, PROP.osDistroless) === 'true' ? { distroless: true } : {}),
    ...osSourceFromProperties((name) => first(props, name)),
    path: first(props, PROP.osPath) ?? '',
  };
}

/** CycloneDX `dependencies` as purl → purls, for refs that are packages. */
function cdxDependencies(deps: unknown, purlByRef: Map<string, string>, ctx: Context): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  if (!Array.isArray(deps)) return out;
  for (const d of deps) {
    ctx.count();
    const r = rec(d);
    const from = r && typeof r.ref === 'string' ? purlByRef.get(r.ref) : undefined;
    if (!from || !Array.isArray(r?.dependsOn)) continue;
    for (const to of r.dependsOn) {
      const target = typeof to === 'string' ? purlByRef.get(to) : undefined;
      if (target && target !== from) addEdge(out, from, target);
    }
  }
  return out;
}
