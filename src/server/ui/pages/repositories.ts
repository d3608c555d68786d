/**
 * `/ui/`: every repository with its tag and image counts, its last push, how
 * many of its tagged images the pull policy refuses, and the worst severity
 * counts among its tags' latest scans — the repositories that need
 * attention first, then by name. Accessory tags (signatures, attestations)
 * are not images and are left out of both. Repositories the caller may not
 * pull are left out (the caller passes the filter).
 */
import type { MetadataStore, RepositorySummary } from '../../metadata/store.js';
import { sortTags } from '../accessories.js';
import { mapLimit, type UiContext } from '../context.js';
import { h, severityBadges, table, time, type PageContent } from '../html.js';
import { repositoryPath } from '../paths.js';
import { compareCounts, worstCounts, type SeverityCounts } from '../severity.js';
import { imageStatus } from '../status.js';
import { verdictOf } from '../verdict.js';

interface RepositoryRow {
  readonly summary: RepositorySummary;
  readonly worst?: SeverityCounts;
  readonly scanned: number;
  readonly images: number;
  /** Tagged images the pull policy refuses. */
  readonly refused: number;
}

async function loadRow(ctx: UiContext, summary: RepositorySummary): Promise<RepositoryRow> {
  const metadata: MetadataStore = ctx.metadata;
  const { images } = sortTags(await metadata.tagsOf(summary.name));
  const digests = [...new Set(images.map((t) => t.digest))];
  const statuses = await Promise.all(digests.map((d) => imageStatus(metadata, summary.name, d)));
  const verdicts = await mapLimit(digests, 4, async (d) => {
    const record = await metadata.getManifestEntry(summary.name, d);
    return record ? verdictOf(ctx, record) : undefined;
  });
  const relevant = statuses.filter((s) => s.state !== 'skipped');
  const worst = worstCounts(relevant.map((s) => s.counts));
  return {
    summary,
    scanned: relevant.filter((s) => s.state === 'done').length,
    images: relevant.length,
    refused: verdicts.filter((v) => !v || !v.served).length,
    ...(worst ? { worst } : {}),
  };
}

function renderRow(row: RepositoryRow): string {
  const { summary } = row;
  const refused = row.refused ? `<span class="verdict verdict-refused" data-verdict="refused">${row.refused} refused</span>` : '<span class="verdict verdict-served" data-verdict="served">none</span>';
  return [
    `<tr data-repository="${h(summary.name)}" data-refused="${row.refused}">`,
    `<td class="name"><a href="${h(repositoryPath(summary.name))}">${h(summary.name)}</a></td>`,
    `<td class="tags num">${summary.tags}</td>`,
    `<td class="manifests num">${summary.manifests}</td>`,
    `<td class="pushed">${time(summary.lastPush)}</td>`,
    `<td class="refused">${refused}</td>`,
    `<td class="scanned">${row.scanned}/${row.images}</td>`,
    `<td class="findings">${severityBadges(row.worst, row.refused === 0)}</td>`,
    '</tr>',
  ].join('');
}

export async function repositoriesPage(ctx: UiContext, visible: (name: string) => Promise<boolean>): Promise<PageContent> {
  const summaries = await ctx.metadata.repositorySummaries();
  const allowed = await Promise.all(summaries.map((s) => visible(s.name)));
  const rows = await mapLimit(
    summaries.filter((_, i) => allowed[i]),
    2,
    (s) => loadRow(ctx, s),
  );
  rows.sort((a, b) => compareCounts(a.worst, b.worst) || (a.summary.name < b.summary.name ? -1 : a.summary.name > b.summary.name ? 1 : 0));
  const body = `<h1>Repositories</h1>
<p><small>${rows.length} ${rows.length === 1 ? 'repository' : 'repositories'}, most severe findings first. Findings: the worst tagged image of each repository.</small></p>
${table('repositories', ['Repository', 'Tags', 'Images', 'Last push', 'Refused by policy', 'Tagged images scanned', 'Findings (worst tag)'], rows.map(renderRow), 'No repositories yet: push an image to this registry.')}`;
  return { title: 'Repositories', crumbs: [], body };
}
