/**
 * The UI's URLs, built and parsed in one place. Repository names contain
 * slashes, so the routes are one wildcard (`/ui/r/*`) and the rest is split
 * here: `<repo>` is the tags page, `<repo>/m/<digest>` one image (and
 * `…/sbom.cdx.json`, `…/sbom.spdx.json` its SBOM). A name may
 * itself contain an `m` component (`team/m/app` is a valid name), so only a
 * last `/m/` followed by a digest makes an image path; names never contain
 * `:`, digests always do. Each name component is percent-encoded when a link
 * is built, so even a name that breaks the distribution grammar (the store is
 * not trusted to have checked it) round-trips instead of escaping its link.
 *
 * Advisory links: CVE ids go to NVD and GHSA ids to the GitHub advisory
 * database, whatever the finding says (one place to check a CVE, whichever
 * distribution rated it); any other id goes to the finding's own primary URL
 * when that is an absolute http(s) URL — the rule the HTML report applies to
 * every link (`safeHttpUrl` in `report/escape.ts`, reused, not copied).
 */
import { isDigest, type Digest, type Finding } from '../../core/index.js';
import { safeHttpUrl } from '../../report/index.js';

export const UI_ROOT = '/ui/';
const REPO_PREFIX = '/ui/r/';

function encodeName(name: string): string {
  return name.split('/').map(encodeURIComponent).join('/');
}

export function repositoryPath(name: string): string {
  return REPO_PREFIX + encodeName(name);
}

export function imagePath(name: string, digest: string): string {
  return `${repositoryPath(name)}/m/${isDigest(digest) ? digest : encodeURIComponent(digest)}`;
}

const PROJECT_PREFIX = '/ui/p/';
export const AUDIT_PATH = '/ui/audit';

/** `/ui/p/<project>`: a project's page (accounts only). */
export function projectPath(project: string): string {
  return PROJECT_PREFIX + encodeURIComponent(project);
}

/** `<image>/scan`: where the "Scan now" form posts. */
export function scanPath(name: string, digest: string): string {
  return `${imagePath(name, digest)}/scan`;
}

export type SbomFormat = 'cyclonedx' | 'spdx';
const SBOM_FILES: Readonly<Record<SbomFormat, string>> = { cyclonedx: 'sbom.cdx.json', spdx: 'sbom.spdx.json' };

/** `<image>/sbom.cdx.json`, `<image>/sbom.spdx.json`: the image's SBOM download. */
export function sbomPath(name: string, digest: string, format: SbomFormat): string {
  return `${imagePath(name, digest)}/${SBOM_FILES[format]}`;
}

export type UiPath =
  | { readonly kind: 'repository'; readonly name: string }
  | { readonly kind: 'image'; readonly name: string; readonly digest: Digest }
  | { readonly kind: 'sbom'; readonly name: string; readonly digest: Digest; readonly format: SbomFormat }
  | { readonly kind: 'invalid' };

/** `rest` is what follows `/ui/r/`, percent-decoded (Fastify's wildcard parameter). */
export function parseUiPath(rest: string): UiPath {
  for (const [format, file] of Object.entries(SBOM_FILES) as Array<[SbomFormat, string]>) {
    if (!rest.endsWith(`/${file}`)) continue;
    const image = parseRepositoryOrImage(rest.slice(0, -file.length - 1));
    if (image.kind === 'image') return { kind: 'sbom', name: image.name, digest: image.digest, format };
  }
  return parseRepositoryOrImage(rest);
}

function parseRepositoryOrImage(rest: string): UiPath {
  const trimmed = rest.endsWith('/') ? rest.slice(0, -1) : rest;
  const at = trimmed.lastIndexOf('/m/');
  if (at > 0) {
    const digest = trimmed.slice(at + 3);
    if (isDigest(digest)) return { kind: 'image', name: trimmed.slice(0, at), digest };
    if (digest.includes(':')) return { kind: 'invalid' };
  }
  if (trimmed.startsWith('m/') && isDigest(trimmed.slice(2))) return { kind: 'invalid' };
  if (trimmed === '' || trimmed.split('/').some((part) => part === '')) return { kind: 'invalid' };
  return { kind: 'repository', name: trimmed };
}

const CVE = /^CVE-\d{4}-\d{4,}$/;
/** GHSA ids: three groups of four characters from GitHub's alphabet. */
const GHSA = /^GHSA(?:-[23456789cfghjmpqrvwx]{4}){3}$/;

/** The page for a vulnerability id alone (CVE, GHSA), or undefined. */
export function idUrl(id: string): string | undefined {
  if (CVE.test(id)) return `https://nvd.nist.gov/vuln/detail/${id}`;
  if (GHSA.test(id)) return `https://github.com/advisories/${id}`;
  return undefined;
}

/** Where a finding's id links to: NVD for CVEs, GitHub for GHSAs, else its own URL when safe; undefined for no link. */
export function advisoryUrl(finding: Pick<Finding, 'id' | 'primaryUrl'>): string | undefined {
  return idUrl(finding.id) ?? safeHttpUrl(finding.primaryUrl);
}
