/**
 * `/ui/r/<repo>/m/<digest>`: one manifest. For an image: what was scanned
 * (OS, platform, packages), when, with which advisory database (its content
 * digest and date), the severity filter and the findings table. For an index:
 * its platform images, worst first, each linking to its own page. A failed
 * scan shows the scanner's error; a pending one says so.
 */
import type { SeverityLevel, Digest, ScanResult } from '../../../core/index.js';
import type { ManifestRecord, MetadataStore, ScanRecord } from '../../metadata/store.js';
import { filterNav, findingsTable } from '../findings.js';
import { document, h, severityBadges, shortDigest, stateLabel, table, time } from '../html.js';
import { imagePath, repositoryPath, UI_ROOT } from '../paths.js';
import { compareCounts, countFindings } from '../severity.js';
import { imageStatus, indexChildren, isIndex, stateRank, statusOfScan } from '../status.js';

type Meta = Array<readonly [string, string]>;

function metaList(meta: Meta): string {
  return `<dl class="meta" id="meta">${meta.map(([k, v]) => `<dt>${h(k)}</dt><dd data-meta="${h(k)}">${v}</dd>`).join('')}</dl>`;
}

function osText(result: ScanResult): string | undefined {
  if (!result.os) return undefined;
  const name = result.os.prettyName ?? `${result.os.id} ${result.os.versionId ?? ''}`.trim();
  return result.os.eol ? `${name} (end of life)` : name;
}

function resultMeta(scan: ScanRecord, result: ScanResult): Meta {
  const meta: Meta = [];
  const os = osText(result);
  meta.push(['OS', os ? h(os) : '<span class="none">unknown</span>']);
  if (result.image?.platform) meta.push(['Platform', h(result.image.platform)]);
  const packages = Object.values(result.packageCounts).reduce((n, c) => n + c, 0);
  meta.push(['Packages', String(packages)]);
  meta.push(['Scanned at', time(result.scannedAt)]);
  meta.push(['Advisory DB', scan.databaseDigest ? shortDigest(scan.databaseDigest) : '<span class="none">unknown</span>']);
  meta.push(['DB updated', time(result.database?.updatedAt)]);
  return meta;
}

function resultSections(path: string, result: ScanResult, threshold: SeverityLevel | undefined): string {
  const counts = countFindings(result.findings);
  const { html, shown } = findingsTable(result, threshold);
  const suppressed = result.findings.filter((f) => f.suppressed).length;
  const parts = [
    `<h2>Findings <small id="shown">${shown} shown</small></h2>`,
    `<p id="summary">${severityBadges(counts)}</p>`,
    filterNav(path, counts, threshold),
    html,
  ];
  if (suppressed) parts.push(`<p><small id="suppressed">${suppressed} suppressed ${suppressed === 1 ? 'finding is' : 'findings are'} not shown.</small></p>`);
  if (result.warnings.length) parts.push(`<h2>Warnings</h2><ul id="warnings">${result.warnings.map((w) => `<li>${h(w)}</li>`).join('')}</ul>`);
  return parts.join('\n');
}

async function indexSection(metadata: MetadataStore, manifest: ManifestRecord): Promise<string> {
  const children = await indexChildren(metadata, manifest);
  const rows = await Promise.all(
    children.map(async (child) => {
      const [status, scan] = await Promise.all([imageStatus(metadata, manifest.repository, child.digest), metadata.getScan(child.digest)]);
      return { child, status, platform: scan?.result?.image?.platform };
    }),
  );
  rows.sort((a, b) => compareCounts(a.status.counts, b.status.counts) || stateRank(a.status.state) - stateRank(b.status.state));
  const html = rows.map(
    ({ child, status, platform }) =>
      `<tr data-digest="${h(child.digest)}" data-state="${status.state}"><td class="digest"><a href="${h(imagePath(manifest.repository, child.digest))}">${shortDigest(child.digest)}</a></td>` +
      `<td class="platform">${platform ? h(platform) : '<span class="none">–</span>'}</td><td class="state">${stateLabel(status.state, status.error)}</td>` +
      `<td class="findings">${severityBadges(status.counts)}</td></tr>`,
  );
  return `<h2>Images in this index</h2>\n${table('images', ['Digest', 'Platform', 'Scan', 'Findings'], html, 'This index references no image stored in this repository.')}`;
}

/** Undefined when the repository holds no such manifest. */
export async function imagePage(metadata: MetadataStore, repository: string, digest: Digest, threshold: SeverityLevel | undefined): Promise<string | undefined> {
  const manifest = await metadata.getManifest(repository, digest);
  if (!manifest) return undefined;
  const [scan, tags] = await Promise.all([metadata.getScan(digest), metadata.tagsOf(repository)]);
  const path = imagePath(repository, digest);
  const tagged = tags.filter((t) => t.digest === digest).map((t) => `<code>${h(t.tag)}</code>`);

  const meta: Meta = [
    ['Repository', `<a href="${h(repositoryPath(repository))}">${h(repository)}</a>`],
    ['Digest', `<code>${h(digest)}</code>`],
    ['Tags', tagged.length ? tagged.join(' ') : '<span class="none">untagged</span>'],
    ['Media type', `<code>${h(manifest.mediaType)}</code>`],
    ['Pushed', time(manifest.pushedAt)],
  ];
  const sections: string[] = [];
  if (isIndex(manifest) && !scan) {
    const status = await imageStatus(metadata, repository, digest);
    meta.push(['Scan', stateLabel(status.state)]);
    sections.push(await indexSection(metadata, manifest));
  } else if (!scan) {
    const status = await imageStatus(metadata, repository, digest);
    meta.push(['Scan', stateLabel(status.state)]);
    sections.push(`<p class="none" id="no-scan">${status.state === 'skipped' ? 'This manifest is not an image: nothing to scan.' : 'This image has not been scanned yet.'}</p>`);
  } else {
    const status = statusOfScan(scan);
    meta.push(['Scan', `${stateLabel(status.state)} <small>${time(scan.updatedAt)}</small>`]);
    if (scan.result) for (const row of resultMeta(scan, scan.result)) meta.push(row);
    else if (scan.databaseDigest) meta.push(['Advisory DB', shortDigest(scan.databaseDigest)]);
    if (scan.state === 'failed') sections.push(`<h2>Scan failed</h2>\n<p class="error" id="scan-error">${h(scan.error ?? 'no reason recorded')}</p>`);
    if (scan.result) sections.push(resultSections(path, scan.result, threshold));
    else if (scan.state !== 'failed') sections.push('<p class="none" id="no-scan">The scan has not finished yet: reload this page later.</p>');
  }
  const title = `${repository}@${digest.slice(0, 19)}`;
  const body = `<h1>${h(repository)} <small>${shortDigest(digest)}</small></h1>\n${metaList(meta)}\n${sections.join('\n')}`;
  return document(title, [{ label: 'Repositories', href: UI_ROOT }, { label: repository, href: repositoryPath(repository) }, { label: digest.slice(0, 19) }], body);
}
