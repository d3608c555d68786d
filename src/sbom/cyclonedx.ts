/**
 * CycloneDX 1.6 JSON out, built with `@cyclonedx/cyclonedx-library` (models,
 * the 1.6 spec, and its JSON normaliser with sorted lists).
 *
 * Shape of what we write:
 * - `metadata.component`: the image, type `container`, name = image name,
 *   version = manifest digest, properties `portcullis:image:platform`
 *   (`linux/arm64/v8`) and `portcullis:image:configDigest`;
 * - one `operating-system` component for the OS (name = os-release ID,
 *   version = VERSION_ID, `portcullis:os:*` properties);
 * - one `library` component per package: purl, licences (SPDX ids; one SPDX
 *   expression where the licences need one; names otherwise), and properties
 *   `portcullis:layer:digest|diffID|index`, `portcullis:package:foundBy|path|source-name|source-version`,
 *   `portcullis:metadata:KEY`;
 * - `dependencies`: image → OS and every non-OS package, OS → OS packages,
 *   package → the packages its `dependsOn` purls name;
 * - an incomplete inventory: one `metadata.properties` entry
 *   `portcullis:incomplete` per reason (what a cataloguer could not read).
 *
 * Deterministic: packages and every list are sorted; `serialNumber` and
 * `timestamp` come from the options (tests pass fixed ones). The bom-ref of a
 * package is its purl (`purl (path)` when several packages share one).
 */
import { randomUUID } from 'node:crypto';
import { Enums, Models, Serialize, Spec, SPDX } from '@cyclonedx/cyclonedx-library';
import type { Inventory, OsRelease, Package } from '../core/index.js';
import { DEFAULT_TOOL, isOsEcosystem, osSourceProperties, platformString, PROP, type SbomImage, type SbomTool, sortPackages, uniqueRefs } from './common.js';
import { asOperand, classifyLicense } from './license.js';

export interface CycloneDxOptions {
  readonly image?: SbomImage;
  /** `urn:uuid:…`; a random one when absent. */
  readonly serialNumber?: string;
  /** Defaults to now. */
  readonly timestamp?: Date;
  readonly tool?: SbomTool;
  /** JSON indentation (default 2; 0 for compact). */
  readonly space?: number;
}

/** The library's model of the document (for callers that want to add to it before serialising). */
export function buildCycloneDxBom(inventory: Inventory, options: CycloneDxOptions = {}): Models.Bom {
  const tool = options.tool ?? DEFAULT_TOOL;
  const bom = new Models.Bom({ serialNumber: options.serialNumber ?? `urn:uuid:${randomUUID()}` });
  bom.metadata.timestamp = options.timestamp ?? new Date();
  bom.metadata.tools.components.add(new Models.Component(Enums.ComponentType.Application, tool.name, { version: tool.version }));

  const root = imageComponent(options.image);
  bom.metadata.component = root;
  for (const reason of inventory.incomplete ?? []) bom.metadata.properties.add(new Models.Property(PROP.incomplete, reason));

  let osComponent: Models.Component | undefined;
  if (inventory.os) {
    osComponent = operatingSystemComponent(inventory.os);
    bom.components.add(osComponent);
    root.dependencies.add(osComponent.bomRef);
  }

  const packages = sortPackages(inventory.packages);
  const refs = uniqueRefs(packages);
  const byPurl = new Map<string, Models.Component[]>();
  const components = packages.map((pkg, i) => {
    const component = packageComponent(pkg, refs[i] as string);
    bom.components.add(component);
    const list = byPurl.get(pkg.purl);
    if (list) list.push(component);
    else byPurl.set(pkg.purl, [component]);
    if (osComponent && isOsEcosystem(pkg.ecosystem)) osComponent.dependencies.add(component.bomRef);
    else root.dependencies.add(component.bomRef);
    return component;
  });
  packages.forEach((pkg, i) => {
    const component = components[i] as Models.Component;
    for (const dep of pkg.dependsOn ?? []) {
      for (const target of byPurl.get(dep) ?? []) if (target !== component) component.dependencies.add(target.bomRef);
    }
  });
  return bom;
}

/** CycloneDX 1.6 JSON text for an inventory. */
export function toCycloneDxJson(inventory: Inventory, options: CycloneDxOptions = {}): string {
  const bom = buildCycloneDxBom(inventory, options);
  const serializer = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.Spec1dot6));
  return serializer.serialize(bom, { sortLists: true, space: options.space ?? 2 });
}

function imageComponent(image: SbomImage | undefined): Models.Component {
  const name = image?.name ?? 'unknown';
  const component = new Models.Component(Enums.ComponentType.Container, name, {
    bomRef: image?.digest ? `image:${name}@${image.digest}` : `image:${name}`,
    ...(image?.digest ? { version: image.digest } : {}),
  });
  const platform = platformString(image?.platform);
  if (platform) component.properties.add(new Models.Property(PROP.imagePlatform, platform));
  if (image?.configDigest) component.properties.add(new Models.Property(PROP.imageConfigDigest, image.configDigest));
  return component;
}

function operatingSystemComponent(os: OsRelease): Models.Component {
  const component = new Models.Component(Enums.ComponentType.OperatingSystem, os.id, {
    bomRef: `os:${os.id}${os.versionId ? `@${os.versionId}` : ''}`,
    ...(os.versionId ? { version: os.versionId } : {}),
    ...(os.prettyName ? { description: os.prettyName } : {}),
  });
  if (os.versionCodename) component.properties.add(new Models.Property(PROP.osCodename, os.versionCodename));
  if (os.idLike?.length) component.properties.add(new Models.Property(PROP.osIdLike, os.idLike.join(' ')));
  if (os.distroless) component.properties.add(new Models.Property(PROP.osDistroless, 'true'));
  for (const [name, value] of osSourceProperties(os)) component.properties.add(new Models.Property(name, value));
  component.properties.add(new Models.Property(PROP.osPath, os.path));
  return component;
}

function packageComponent(pkg: Package, ref: string): Models.Component {
  const component = new Models.Component(Enums.ComponentType.Library, pkg.name, {
    bomRef: ref,
    version: pkg.version,
    purl: pkg.purl,
  });
  for (const license of cycloneDxLicenses(pkg.licenses ?? [])) component.licenses.add(license);
  const props: Array<[string, string]> = [
    [PROP.foundBy, pkg.foundBy],
    [PROP.path, pkg.path],
  ];
  if (pkg.layer) {
    props.push([PROP.layerIndex, String(pkg.layer.index)], [PROP.layerDigest, pkg.layer.digest]);
    if (pkg.layer.diffId) props.push([PROP.layerDiffId, pkg.layer.diffId]);
  }
  if (pkg.source) {
    props.push([PROP.sourceName, pkg.source.name]);
    if (pkg.source.version !== undefined) props.push([PROP.sourceVersion, pkg.source.version]);
  }
  for (const [k, v] of Object.entries(pkg.metadata ?? {})) props.push([PROP.metadataPrefix + k, v]);
  for (const [name, value] of props) component.properties.add(new Models.Property(name, value));
  return component;
}

/**
 * CycloneDX allows either a list of licences (SPDX id or name each) or exactly
 * one expression, never both: ids and names stay a list; when a compound
 * expression is among them and everything parses, all are ANDed into one
 * expression; when names are mixed with expressions, all become names.
 */
export function cycloneDxLicenses(licenses: readonly string[]): Models.License[] {
  const unique = [...new Set(licenses.map((l) => l.trim()).filter((l) => l))];
  const classes = unique.map(classifyLicense);
  const hasExpression = classes.some((c) => c.kind === 'expression');
  const hasName = classes.some((c) => c.kind === 'name');
  if (hasExpression && !hasName) {
    const operands = classes.map((c) => (c.kind === 'id' ? c.id : c.kind === 'expression' ? c.expression : ''));
    const expression = operands.length === 1 ? (operands[0] as string) : operands.map(asOperand).join(' AND ');
    return [new Models.LicenseExpression(expression)];
  }
  return classes.map((c) => {
    if (c.kind === 'id' && SPDX.isSupportedSpdxId(c.id)) return new Models.SpdxLicense(c.id);
    return new Models.NamedLicense(c.kind === 'id' ? c.id : c.kind === 'expression' ? c.expression : c.name);
  });
}
