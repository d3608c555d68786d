/**
 * The image page's package list and the SBOM downloads, both from the
 * inventory the scan kept (metadata/inventory-store.ts, the entry rescans
 * match again): nothing is read from the layers. CycloneDX 1.6 and SPDX 2.3
 * are written by the sbom module's public entry, as `portcullis sbom` writes
 * them, with the image named as clients pull it
 * (`<registry>/<repository>@<digest>`). An image with no kept inventory
 * (scanned before inventories were kept, or over the cap) or an entry that
 * cannot be read back has none until its next scan keeps one, and the page
 * says so.
 */
import { isDigest, type Digest, type Inventory, type Package } from '../../core/index.js';
import { parsePlatformString, sortPackages, toCycloneDxJson, toSpdxJson, type SbomImage } from '../../sbom/index.js';
import type { StoredInventory } from '../metadata/inventory-store.js';
import type { UiContext } from './context.js';
import { ago, h, table } from './html.js';
import { sbomPath, type SbomFormat } from './paths.js';

/** Rows listed on the page, at most; the SBOM has them all. */
export const MAX_LISTED_PACKAGES = 2_000;

export interface StoredPackages {
  readonly inventory: Inventory;
  /** The config digest and platform the scan recorded, for the SBOM's image. */
  readonly image?: Omit<SbomImage, 'name'>;
  readonly savedAt: string;
}

export type PackagesAnswer = { readonly found: true; readonly packages: StoredPackages } | { readonly found: false; readonly why: string };

export async function readPackages(ctx: UiContext, digest: Digest): Promise<PackagesAnswer> {
  const store = ctx.inventories;
  if (!store) return { found: false, why: 'This registry does not keep package inventories.' };
  let kept: StoredInventory | undefined;
  try {
    kept = await ctx.decodes.run(() => store.get(digest));
  } catch (error) {
    return { found: false, why: `The kept package list cannot be read (${(error as Error).message}); the next scan replaces it.` };
  }
  if (!kept) return { found: false, why: 'The package list is not available yet: it is kept from the next scan of this image.' };
  const image = sbomImageOf(kept.image);
  return { found: true, packages: { inventory: kept.inventory, savedAt: kept.storedAt, ...(image ? { image } : {}) } };
}

/** What the SBOM says of the image beyond its name and digest: the config digest and platform the scan recorded. */
function sbomImageOf(image: StoredInventory['image']): StoredPackages['image'] {
  if (!image) return undefined;
  const configDigest = image.configDigest && isDigest(image.configDigest) ? image.configDigest : undefined;
  const platform = image.platform ? parsePlatformString(image.platform) : undefined;
  if (!configDigest && !platform) return undefined;
  return { ...(configDigest ? { configDigest } : {}), ...(platform ? { platform } : {}) };
}

function row(p: Package): string {
  const layer = p.layer ? `#${p.layer.index}` : '<span class="none">–</span>';
  return (
    `<tr data-name="${h(p.name)}" data-version="${h(p.version)}"><td class="pkg"><code>${h(p.name)}</code></td><td><code>${h(p.version)}</code></td>` +
    `<td>${h(p.ecosystem)} <small>${h(p.foundBy)}</small></td><td class="num">${layer}</td><td><small><code>${h(p.path)}</code></small></td></tr>`
  );
}

export function packagesSection(repository: string, digest: Digest, answer: PackagesAnswer, now: Date): string {
  if (!answer.found) return `<h2>Packages</h2>\n<p class="none" id="packages-empty">${h(answer.why)}</p>\n<p class="none" id="sbom-unavailable">SBOM downloads are not available yet for the same reason.</p>`;
  const { inventory, savedAt } = answer.packages;
  const sorted = sortPackages(inventory.packages);
  const shown = sorted.slice(0, MAX_LISTED_PACKAGES);
  const more = sorted.length - shown.length;
  const links =
    `<p id="sbom">Download the SBOM: <a href="${h(sbomPath(repository, digest, 'cyclonedx'))}" download data-format="cyclonedx">CycloneDX 1.6 JSON</a> · ` +
    `<a href="${h(sbomPath(repository, digest, 'spdx'))}" download data-format="spdx">SPDX 2.3 JSON</a> <small>(from the scan ${ago(savedAt, now)})</small></p>`;
  const incomplete = inventory.incomplete?.length ? `\n<p class="error" id="packages-incomplete">The list may be incomplete: ${h(inventory.incomplete.slice(0, 5).join('; '))}</p>` : '';
  const note = more > 0 ? `\n<p><small>${more} more packages are in the SBOM.</small></p>` : '';
  return `<h2>Packages <small id="package-count">${sorted.length}</small></h2>\n${links}${incomplete}\n<details id="package-list"${sorted.length <= 200 ? ' open' : ''}><summary>${sorted.length} packages</summary>\n${table('packages', ['Name', 'Version', 'Type', 'Layer', 'Found in'], shown.map(row), 'No packages were found in this image.')}${note}\n</details>`;
}

const CONTENT_TYPE: Readonly<Record<SbomFormat, string>> = { cyclonedx: 'application/vnd.cyclonedx+json', spdx: 'application/spdx+json' };
const EXTENSION: Readonly<Record<SbomFormat, string>> = { cyclonedx: 'cdx.json', spdx: 'spdx.json' };

export interface SbomFile {
  readonly body: string;
  readonly contentType: string;
  readonly fileName: string;
}

/** The SBOM of one image, named as clients pull it. */
export function sbomFile(packages: StoredPackages, registry: string, repository: string, digest: Digest, format: SbomFormat): SbomFile {
  const image: SbomImage = { ...packages.image, name: `${registry}/${repository}`, digest };
  const body = format === 'cyclonedx' ? toCycloneDxJson(packages.inventory, { image }) : toSpdxJson(packages.inventory, { image });
  // A file name from the repository's last component and the digest, reduced to characters every browser keeps.
  const base = (repository.slice(repository.lastIndexOf('/') + 1).replace(/[^A-Za-z0-9._-]/g, '_') || 'image').slice(0, 64);
  return { body, contentType: CONTENT_TYPE[format], fileName: `${base}-${digest.slice(digest.indexOf(':') + 1, digest.indexOf(':') + 13)}.${EXTENSION[format]}` };
}
