/**
 * `/ui/`: every repository with its tag and image counts, its last push, and
 * the worst severity counts among its tags' latest scans — the repositories
 * that need attention first, then by name. Repositories the caller may not
 * pull are left out (the caller passes the filter).
 */
import type { MetadataStore, RepositorySummary } from '../../metadata/store.js';
import { document, h, severityBadges, table, time } from '../html.js';
import { repositoryPath } from '../paths.js';
import { compareCounts, worstCounts, type SeverityCounts } from '../severity.js';
import { imageStatus } from '../status.js';

interface RepositoryRow {
  readonly summary: RepositorySummary;
  readonly worst?: SeverityCounts;
  readonly scanned: number;
  readonly images: number;
}

async function loadRow(metadata: MetadataStore, summary: RepositorySummary): Promise<RepositoryRow> {
  const tags = await metadata.tagsOf(summary.name);
  const digests = [...new Set(tags.map((t) => t.digest))];
  const statuses = await Promise.all(digests.map((d) => imageStatus(metadata, summary.name, d)));
  const relevant = statuses.filter((s) => s.state !== 'skipped');
  const worst = worstCounts(relevant.map((s) => s.counts));
  return { summary, scanned: relevant.filter((s) => s.state === 'done').length, images: relevant.length, ...(worst ? { worst } : {}) };
}

function renderRow(row: RepositoryRow): string {
  const { summary } = row;
  return [
    `<tr data-repository="${h(summary.name)}">`,
    `<td class="name"><a href="${h(repositoryPath(summary.name))}">${h(summary.name)}</a></td>`,
    `<td class="tags num">${summary.tags}</td>`,
    `<td class="manifests num">${summary.manifests}</td>`,
    `<td class="pushed">${time(summary.lastPush)}</td>`,
    `<td class="scanned">${row.scanned}/${row.images}</td>`,
    `<td class="findings">${severityBadges(row.worst)}</td>`,
    '</tr>',
  ].join('');
}

export async function repositoriesPage(metadata: MetadataStore, visible: (name: string) => Promise<boolean>): Promise<string> {
  const summaries = await metadata.repositorySummaries();
  const allowed = await Promise.all(summaries.map((s) => visible(s.name)));
  const rows = await Promise.all(summaries.filter((_, i) => allowed[i]).map((s) => loadRow(metadata, s)));
  rows.sort((a, b) => compareCounts(a.worst, b.worst) || (a.summary.name < b.summary.name ? -1 : a.summary.name > b.summary.name ? 1 : 0));
  const body = `<h1>Repositories</h1>
<p><small>${rows.length} ${rows.length === 1 ? 'repository' : 'repositories'}, most severe findings first. Findings: the worst tagged image of each repository.</small></p>
${table('repositories', ['Repository', 'Tags', 'Images', 'Last push', 'Tagged images scanned', 'Findings (worst tag)'], rows.map(renderRow), 'No repositories yet: push an image to this registry.')}`;
  return document('Repositories', [], body);
}
