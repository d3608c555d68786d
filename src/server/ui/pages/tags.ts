/**
 * `/ui/r/<repo>`: the repository's tags, the most severe images first (counts
 * compared level by level, then finished scans before pending ones, then the
 * newest push, then the tag name), each with its short digest linking to the
 * image page, when it was pushed, where its scan stands and its counts as
 * coloured badges.
 */
import type { MetadataStore, TagRecord } from '../../metadata/store.js';
import { document, h, severityBadges, shortDigest, stateLabel, table, time } from '../html.js';
import { imagePath, UI_ROOT } from '../paths.js';
import { compareCounts } from '../severity.js';
import { imageStatus, stateRank, type ImageStatus } from '../status.js';

interface TagRow {
  readonly tag: TagRecord;
  readonly status: ImageStatus;
}

function compareRows(a: TagRow, b: TagRow): number {
  return (
    compareCounts(a.status.counts, b.status.counts) ||
    stateRank(a.status.state) - stateRank(b.status.state) ||
    (a.tag.updatedAt < b.tag.updatedAt ? 1 : a.tag.updatedAt > b.tag.updatedAt ? -1 : 0) ||
    (a.tag.tag < b.tag.tag ? -1 : a.tag.tag > b.tag.tag ? 1 : 0)
  );
}

function renderRow(repository: string, row: TagRow): string {
  const { tag, status } = row;
  const kind = status.images !== undefined ? ` <small>index · ${status.images} ${status.images === 1 ? 'image' : 'images'}</small>` : '';
  return [
    `<tr data-tag="${h(tag.tag)}" data-digest="${h(tag.digest)}" data-state="${status.state}">`,
    `<td class="tag"><code>${h(tag.tag)}</code></td>`,
    `<td class="digest"><a href="${h(imagePath(repository, tag.digest))}">${shortDigest(tag.digest)}</a>${kind}</td>`,
    `<td class="pushed">${time(tag.updatedAt)}</td>`,
    `<td class="state">${stateLabel(status.state, status.error)}</td>`,
    `<td class="findings">${severityBadges(status.counts)}</td>`,
    '</tr>',
  ].join('');
}

/** Undefined when the repository does not exist. */
export async function tagsPage(metadata: MetadataStore, repository: string): Promise<string | undefined> {
  if (!(await metadata.repositoryExists(repository))) return undefined;
  const tags = await metadata.tagsOf(repository);
  const statuses = new Map<string, Promise<ImageStatus>>();
  const rows: TagRow[] = await Promise.all(
    tags.map(async (tag) => {
      // Several tags often share one digest: ask the store once.
      let status = statuses.get(tag.digest);
      if (!status) statuses.set(tag.digest, (status = imageStatus(metadata, repository, tag.digest)));
      return { tag, status: await status };
    }),
  );
  rows.sort(compareRows);
  const body = `<h1>${h(repository)}</h1>
<p><small>${rows.length} ${rows.length === 1 ? 'tag' : 'tags'}, most severe images first.</small></p>
${table('tags', ['Tag', 'Digest', 'Pushed', 'Scan', 'Findings'], rows.map((r) => renderRow(repository, r)), 'No tags in this repository.')}`;
  return document(repository, [{ label: 'Repositories', href: UI_ROOT }, { label: repository }], body);
}
