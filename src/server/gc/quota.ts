/**
 * Per-project storage quotas, checked where a push adds bytes to a project: finishing a blob upload
 * (monolithic, chunked, or a mount from another repository) and putting a manifest. Usage is the sum of
 * the sizes of the distinct blobs the project's repositories link or reference, manifests included: a
 * layer shared by two repositories of one project counts once, and a layer two projects hold counts in
 * each. A blob the project already holds adds nothing, so re-pushes and retags always pass.
 *
 * The check is a read before the write, not part of it: pushes running at the same moment each see the
 * usage without the others, so a project can end over its quota by what was in flight together. Holding
 * a project-wide lock across every upload would cost more than that overshoot, which the next push sees.
 */
import type { Digest } from '../../core/index.js';
import { ServeError } from '../errors.js';
import type { MetadataStore } from '../metadata/store.js';
import { projectOf, type ProjectSettingsProvider } from './projects.js';

export interface QuotaCheck {
  readonly metadata: Pick<MetadataStore, 'projectUsage' | 'countsInProject'>;
  readonly projects?: ProjectSettingsProvider;
}

/** Throws DENIED when storing `size` more bytes of `digest` in `repository` would take its project over quota. */
export async function checkQuota(check: QuotaCheck, repository: string, digest: Digest, size: number): Promise<void> {
  if (!check.projects) return;
  const project = projectOf(repository);
  const { quotaBytes } = await check.projects.settingsFor(project);
  if (quotaBytes === undefined) return;
  if (await check.metadata.countsInProject(project, digest)) return;
  const used = await check.metadata.projectUsage(project);
  if (used + size <= quotaBytes) return;
  throw new ServeError(
    'DENIED',
    `project ${project} is over its storage quota: ${formatBytes(used)} used of ${formatBytes(quotaBytes)}, and this push needs ${formatBytes(size)} more; delete images (then run garbage collection) or ask for a larger quota`,
    { detail: { project, quota: quotaBytes, used, needed: size } },
  );
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}
