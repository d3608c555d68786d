/**
 * Where a distribution's packages come from, when that is not what
 * os-release says, from two small files:
 *
 * - Alpine's `etc/apk/repositories`: an image based on 3.19 that lists an
 *   `edge` (or `v3.20`) repository installs that release's packages, so its
 *   advisories apply. The release of every untagged repository line
 *   (`<mirror>/alpine/<release>/<repo>`) is read and the newest kept (`edge`
 *   above every number), as Trivy's apk-repo analyser does. Lines pinned with
 *   a tag (`@edge https://…`) are left out: apk installs from them only the
 *   packages asked for by `name@edge`, not the image as a whole.
 * - Red Hat's `root/buildinfo/content_manifests/*.json` (atomic-reactor's
 *   content manifest): the `content_sets` the image was built from, which
 *   decide the product streams (CPEs) whose advisories apply.
 *
 * Both are hostile input: sizes are capped by the walk, line and entry
 * counts here.
 */

const MAX_LINES = 1000;
const MAX_CONTENT_SETS = 256;
const MAX_CONTENT_SET_LENGTH = 200;

export const APK_REPOSITORIES_PATH = 'etc/apk/repositories';
export const CONTENT_MANIFESTS_DIR = 'root/buildinfo/content_manifests/';

const APK_URL = /^(?:https?|ftp):\/\/[0-9A-Za-z.:-]+\/(?:[^\s]*\/)?alpine\/(edge|v?\d+\.\d+)\/[A-Za-z0-9_-]+\/?$/;

/** `edge`, or `3.20`, for the newest release the untagged repository lines name; undefined when none does. */
export function apkRepositoriesRelease(text: string): string | undefined {
  let best: string | undefined;
  const lines = text.split(/\r?\n/, MAX_LINES);
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('@')) continue;
    const m = APK_URL.exec(line);
    if (!m) continue;
    const release = m[1]!.replace(/^v/, '');
    if (best === undefined || newerAlpine(release, best)) best = release;
  }
  return best;
}

function newerAlpine(a: string, b: string): boolean {
  if (a === b) return false;
  if (a === 'edge') return true;
  if (b === 'edge') return false;
  const [am, an] = a.split('.').map(Number);
  const [bm, bn] = b.split('.').map(Number);
  return am! !== bm! ? am! > bm! : an! > bn!;
}

/** `3.19` for `3.19.1`; `edge` for an edge os-release (`3.20.0_alpha20240315`, or a PRETTY_NAME naming edge). */
export function alpineBranch(versionId: string | undefined, prettyName?: string): string | undefined {
  const v = versionId ?? '';
  if (/_alpha|_beta|_rc|edge/.test(v) || /edge/.test(prettyName ?? '')) return 'edge';
  const m = /^(\d+)\.(\d+)/.exec(v);
  return m ? `${m[1]}.${m[2]}` : undefined;
}

/** The content sets one content manifest lists; undefined when the file is not one. */
export function contentManifestSets(text: string): string[] | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return undefined;
  const sets = (doc as { content_sets?: unknown }).content_sets;
  if (!Array.isArray(sets)) return undefined;
  const out: string[] = [];
  for (const s of sets) {
    if (out.length >= MAX_CONTENT_SETS) break;
    if (typeof s === 'string' && s !== '' && s.length <= MAX_CONTENT_SET_LENGTH && /^[A-Za-z0-9_.-]+$/.test(s)) out.push(s);
  }
  return out;
}
