/**
 * `/ui/r/<repo>`: the repository's tags, the most severe images first (counts
 * compared level by level, then finished scans before pending ones, then the
 * newest push, then the tag name). Each row says what a pull of that tag
 * gets (the pull policy's verdict), who signed it and whether that key is
 * trusted here, its attestations and their age, where its scan stands and
 * its counts. Accessory tags (`sha256-….sig`, `.att`, `.sbom`, the
 * referrers fallback index `sha256-<hex>`) are listed under the image they
 * belong to, not as tags of their own; those whose image has no tag are
 * grouped at the end, under that image's digest.
 */
import type { Digest } from '../../../core/index.js';
import type { ManifestEntry, TagRecord } from '../../metadata/store.js';
import { accessoriesOf, readRepository, type Accessory, type RepositoryTags } from '../accessories.js';
import { mapLimit, type UiContext } from '../context.js';
import { ago, h, severityBadges, shortDigest, stateLabel, table, time, type PageContent } from '../html.js';
import { imagePath, UI_ROOT } from '../paths.js';
import { compareCounts } from '../severity.js';
import { imageStatus, stateRank, type ImageStatus } from '../status.js';
import { attestationCell, signatureCell, trustOf, type TrustAnswer } from '../trust.js';
import { verdictBadge, verdictOf, type Verdict } from '../verdict.js';

/** What the page shows of one tagged digest, read once however many tags share it. */
interface ImageFacts {
  readonly status: ImageStatus;
  readonly verdict: Verdict;
  readonly trust: TrustAnswer;
  readonly accessories: readonly Accessory[];
}

interface TagRow {
  readonly tag: TagRecord;
  readonly facts: ImageFacts;
}

/** Digests judged at once: each may cost a signature check over loopback. */
const CONCURRENCY = 4;
const UNKNOWN_VERDICT: Verdict = { served: false, text: 'refused: not in this repository' };

function compareRows(a: TagRow, b: TagRow): number {
  return (
    compareCounts(a.facts.status.counts, b.facts.status.counts) ||
    stateRank(a.facts.status.state) - stateRank(b.facts.status.state) ||
    (a.tag.updatedAt < b.tag.updatedAt ? 1 : a.tag.updatedAt > b.tag.updatedAt ? -1 : 0) ||
    (a.tag.tag < b.tag.tag ? -1 : a.tag.tag > b.tag.tag ? 1 : 0)
  );
}

async function factsOf(ctx: UiContext, repository: string, digest: Digest, tags: RepositoryTags): Promise<ImageFacts> {
  const record: ManifestEntry | undefined = await ctx.metadata.getManifestEntry(repository, digest);
  const [status, verdict, trust, accessories] = await Promise.all([
    imageStatus(ctx.metadata, repository, digest),
    record ? verdictOf(ctx, record) : Promise.resolve(UNKNOWN_VERDICT),
    trustOf(ctx, repository, digest),
    accessoriesOf(ctx, repository, digest, tags),
  ]);
  return { status, verdict, trust, accessories };
}

function accessoryList(accessories: readonly Accessory[], repository: string, now: Date): string {
  const items = accessories.map((a) => {
    const name = a.tags.length ? a.tags.map((t) => `<code>${h(t)}</code>`).join(' ') : `<a href="${h(imagePath(repository, a.digest))}">${shortDigest(a.digest)}</a>`;
    return `<li data-kind="${h(a.kind)}" data-digest="${h(a.digest)}">${name} <small>${h(a.kind)} · ${ago(a.created, now)}</small></li>`;
  });
  return `<ul class="accessories">${items.join('')}</ul>`;
}

const COLUMNS = ['Tag', 'Digest', 'Pushed', 'Pull', 'Signature', 'Attestations', 'Scan', 'Findings'];

function renderRow(ctx: UiContext, repository: string, row: TagRow): string {
  const { tag, facts } = row;
  const { status, verdict } = facts;
  const kind = status.images !== undefined ? ` <small>index · ${status.images} ${status.images === 1 ? 'image' : 'images'}</small>` : '';
  const main = [
    `<tr data-tag="${h(tag.tag)}" data-digest="${h(tag.digest)}" data-state="${status.state}" data-verdict="${verdict.served ? 'served' : 'refused'}">`,
    `<td class="tag"><code>${h(tag.tag)}</code></td>`,
    `<td class="digest"><a href="${h(imagePath(repository, tag.digest))}">${shortDigest(tag.digest)}</a>${kind}</td>`,
    `<td class="pushed">${time(tag.updatedAt)}</td>`,
    `<td class="verdict">${verdictBadge(verdict)}</td>`,
    `<td class="signature">${signatureCell(facts.trust, facts.accessories)}</td>`,
    `<td class="attestations">${attestationCell(facts.accessories, ctx.now)}</td>`,
    `<td class="state">${stateLabel(status.state, status.error)}</td>`,
    `<td class="findings">${severityBadges(status.counts, verdict.served)}</td>`,
    '</tr>',
  ].join('');
  if (!facts.accessories.length) return main;
  return `${main}\n<tr class="attached" data-attached-to="${h(tag.tag)}"><td></td><td colspan="${COLUMNS.length - 1}">${accessoryList(facts.accessories, repository, ctx.now)}</td></tr>`;
}

/** Accessory tags whose image has no tag of its own: grouped under that image's digest. */
function orphanSection(repository: string, orphans: ReadonlyMap<Digest, readonly TagRecord[]>): string {
  if (!orphans.size) return '';
  const rows = [...orphans].map(
    ([subject, tags]) =>
      `<tr data-subject="${h(subject)}"><td class="digest"><a href="${h(imagePath(repository, subject))}">${shortDigest(subject)}</a></td>` +
      `<td>${tags.map((t) => `<code data-tag="${h(t.tag)}">${h(t.tag)}</code>`).join(' ')}</td></tr>`,
  );
  return `\n<h2>Accessories of untagged images</h2>\n${table('orphan-accessories', ['Image', 'Accessory tags'], rows, '')}`;
}

/** Undefined when the repository does not exist. */
export async function tagsPage(ctx: UiContext, repository: string): Promise<PageContent | undefined> {
  const sorted = await readRepository(ctx, repository);
  if (!sorted) return undefined;
  const { images, accessories } = sorted;
  // Several tags often share one digest: judge each digest once.
  const digests = [...new Set(images.map((t) => t.digest))];
  const facts = await mapLimit(digests, CONCURRENCY, (d) => factsOf(ctx, repository, d, sorted));
  const byDigest = new Map(digests.map((d, i) => [d, facts[i]!]));
  const rows: TagRow[] = images.map((tag) => ({ tag, facts: byDigest.get(tag.digest)! }));
  rows.sort(compareRows);
  const orphans = new Map([...accessories].filter(([subject]) => !byDigest.has(subject)));
  const refused = rows.filter((r) => !r.facts.verdict.served).length;
  let accessoryCount = 0;
  for (const list of accessories.values()) accessoryCount += list.length;
  const body = `<h1>${h(repository)}</h1>
<p><small id="tag-summary">${rows.length} ${rows.length === 1 ? 'tag' : 'tags'}${refused ? `, ${refused} refused by the pull policy` : ''}${accessoryCount ? `, and ${accessoryCount} accessory ${accessoryCount === 1 ? 'tag' : 'tags'} shown under their images` : ''}; most severe images first.</small></p>
${table('tags', COLUMNS, rows.map((r) => renderRow(ctx, repository, r)), 'No tags in this repository.')}${orphanSection(repository, orphans)}`;
  return { title: repository, crumbs: [{ label: 'Repositories', href: UI_ROOT }, { label: repository }], body };
}
