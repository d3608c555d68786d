/**
 * `/ui/r/<repo>/m/<digest>`: one manifest. First what a user must know
 * before pulling it: the pull policy's verdict (verdict.ts), the pull
 * commands by tag and by digest, who signed it and whether that key is
 * trusted here (trust.ts), and what is attached (accessories.ts). Then, for
 * an image: what was scanned (OS, platform, packages), when, with which
 * advisory database, the severity filter and the findings table, its layers
 * with their commands and sizes (image-config.ts), and its packages with the
 * SBOM downloads (packages.ts). For an index: its platform images, worst
 * first, each with its own verdict and page. A failed scan shows the
 * scanner's error; a pending one says so.
 */
import type { SeverityLevel, Digest, ScanResult } from '../../../core/index.js';
import type { ManifestRecord, ScanRecord, TagRecord } from '../../metadata/store.js';
import { accessoriesOf, layerPredicateTypes, sortTags, type Accessory } from '../accessories.js';
import { mapLimit, type UiContext } from '../context.js';
import { filterNav, findingsTable } from '../findings.js';
import { h, severityBadges, shortDigest, stateLabel, table, time, type PageContent } from '../html.js';
import { layersSection, readLayers } from '../image-config.js';
import { packagesSection, readPackages } from '../packages.js';
import { imagePath, repositoryPath, scanPath, UI_ROOT } from '../paths.js';
import { compareCounts, countFindings } from '../severity.js';
import { imageStatus, indexChildren, isIndex, stateRank, statusOfScan } from '../status.js';
import { attachedSection, signatureSection, trustOf } from '../trust.js';
import { verdictBadge, verdictOf, type Verdict } from '../verdict.js';

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

function resultSections(path: string, result: ScanResult, threshold: SeverityLevel | undefined, served: boolean): string {
  const counts = countFindings(result.findings);
  const { html, shown } = findingsTable(result, threshold);
  const suppressed = result.findings.filter((f) => f.suppressed).length;
  const parts = [`<h2>Findings <small id="shown">${shown} shown</small></h2>`, `<p id="summary">${severityBadges(counts, served)}</p>`, filterNav(path, counts, threshold), html];
  if (suppressed) parts.push(`<p><small id="suppressed">${suppressed} suppressed ${suppressed === 1 ? 'finding is' : 'findings are'} not shown.</small></p>`);
  if (result.warnings.length) parts.push(`<h2>Warnings</h2><ul id="warnings">${result.warnings.map((w) => `<li>${h(w)}</li>`).join('')}</ul>`);
  return parts.join('\n');
}

async function indexSection(ctx: UiContext, manifest: ManifestRecord): Promise<string> {
  const children = await indexChildren(ctx.metadata, manifest);
  const rows = await mapLimit(children, 4, async (child) => {
    const [status, scan, verdict] = await Promise.all([imageStatus(ctx.metadata, manifest.repository, child.digest), ctx.metadata.getScan(child.digest), verdictOf(ctx, child)]);
    return { child, status, verdict, platform: scan?.result?.image?.platform };
  });
  rows.sort((a, b) => compareCounts(a.status.counts, b.status.counts) || stateRank(a.status.state) - stateRank(b.status.state));
  const html = rows.map(
    ({ child, status, verdict, platform }) =>
      `<tr data-digest="${h(child.digest)}" data-state="${status.state}"><td class="digest"><a href="${h(imagePath(manifest.repository, child.digest))}">${shortDigest(child.digest)}</a></td>` +
      `<td class="platform">${platform ? h(platform) : '<span class="none">–</span>'}</td><td class="verdict">${verdictBadge(verdict)}</td><td class="state">${stateLabel(status.state, status.error)}</td>` +
      `<td class="findings">${severityBadges(status.counts, verdict.served)}</td></tr>`,
  );
  return `<h2>Images in this index</h2>\n${table('images', ['Digest', 'Platform', 'Pull', 'Scan', 'Findings'], html, 'This index references no image stored in this repository.')}`;
}

function pullSection(ctx: UiContext, repository: string, digest: Digest, tags: readonly TagRecord[]): string {
  const name = `${ctx.publicName}/${repository}`;
  const byTag = tags.slice(0, 5).map((t) => `<pre class="pull" data-pull="tag"><code>docker pull ${h(name)}:${h(t.tag)}</code></pre>`);
  const byDigest = `<pre class="pull" id="pull-digest" data-pull="digest"><code>docker pull ${h(name)}@${h(digest)}</code></pre>`;
  return `<h2>Pull</h2>\n<div id="pull">${byTag.join('')}${byDigest}</div>`;
}

function verdictSection(verdict: Verdict): string {
  const detail = verdict.detail ? `<br><small id="verdict-detail">${h(verdict.detail)}</small>` : '';
  return `<p id="verdict" class="verdict-line">Pull policy: ${verdictBadge(verdict)}${detail}</p>`;
}

/** The accessories, with the predicate types of cosign `.att` manifests read from their layers. */
async function attached(ctx: UiContext, repository: string, digest: Digest, tags: readonly TagRecord[]): Promise<Accessory[]> {
  const found = await accessoriesOf(ctx, repository, digest, sortTags(tags));
  return mapLimit(found, 4, async (a) => (a.kind === 'attestation' && a.predicateTypes.length === 0 ? { ...a, predicateTypes: await layerPredicateTypes(ctx, a.digest) } : a));
}

async function imageSections(ctx: UiContext, manifest: ManifestRecord, scan: ScanRecord | undefined, threshold: SeverityLevel | undefined, verdict: Verdict, meta: Meta): Promise<string[]> {
  const { repository, digest } = manifest;
  const sections: string[] = [];
  if (!scan) {
    const status = await imageStatus(ctx.metadata, repository, digest);
    meta.push(['Scan', stateLabel(status.state)]);
    sections.push(`<p class="none" id="no-scan">${status.state === 'skipped' ? 'This manifest is not an image: nothing to scan.' : 'This image has not been scanned yet.'}</p>`);
  } else {
    const status = statusOfScan(scan);
    meta.push(['Scan', `${stateLabel(status.state)} <small>${time(scan.updatedAt)}</small>`]);
    if (scan.result) for (const row of resultMeta(scan, scan.result)) meta.push(row);
    else if (scan.databaseDigest) meta.push(['Advisory DB', shortDigest(scan.databaseDigest)]);
    if (scan.state === 'failed') sections.push(`<h2>Scan failed</h2>\n<p class="error" id="scan-error">${h(scan.error ?? 'no reason recorded')}</p>`);
    if (scan.result) sections.push(resultSections(imagePath(repository, digest), scan.result, threshold, verdict.served));
    else if (scan.state !== 'failed') sections.push('<p class="none" id="no-scan">The scan has not finished yet: reload this page later.</p>');
  }
  if (scan?.state === 'skipped') return sections;
  const [layers, packages] = await Promise.all([readLayers(ctx, digest), readPackages(ctx, digest)]);
  sections.push(layersSection(layers));
  sections.push(packagesSection(repository, digest, packages, ctx.now));
  return sections;
}

/** What the caller may do on the page: "Scan now" (with the session's form token), and whether one was just queued. */
export interface ImageActions {
  readonly scanCsrf?: string;
  readonly queued?: boolean;
}

function actionsSection(repository: string, digest: Digest, actions: ImageActions): string {
  const parts: string[] = [];
  if (actions.queued) parts.push('<p class="notice" id="scan-queued" role="status">A scan of this image is queued: reload this page in a moment for its result.</p>');
  if (actions.scanCsrf) {
    parts.push(
      `<form method="post" action="${h(scanPath(repository, digest))}" id="scan-now" class="inline-form"><input type="hidden" name="csrf" value="${h(actions.scanCsrf)}"><button type="submit" id="scan-now-submit">Scan now</button></form>`,
    );
  }
  return parts.join('\n');
}

/** Undefined when the repository holds no such manifest. */
export async function imagePage(ctx: UiContext, repository: string, digest: Digest, threshold: SeverityLevel | undefined, actions: ImageActions = {}): Promise<PageContent | undefined> {
  const manifest = await ctx.metadata.getManifest(repository, digest);
  if (!manifest) return undefined;
  const [scan, tags] = await Promise.all([ctx.metadata.getScan(digest), ctx.metadata.tagsOf(repository)]);
  const own = tags.filter((t) => t.digest === digest);
  const [verdict, trust, accessories] = await Promise.all([verdictOf(ctx, manifest), trustOf(ctx, repository, digest), attached(ctx, repository, digest, tags)]);

  const meta: Meta = [
    ['Repository', `<a href="${h(repositoryPath(repository))}">${h(repository)}</a>`],
    ['Digest', `<code>${h(digest)}</code>`],
    ['Tags', own.length ? own.map((t) => `<code>${h(t.tag)}</code>`).join(' ') : '<span class="none">untagged</span>'],
    ['Media type', `<code>${h(manifest.mediaType)}</code>`],
    ['Pushed', time(manifest.pushedAt)],
  ];
  if (manifest.subject) meta.push(['Attached to', `<a href="${h(imagePath(repository, manifest.subject))}">${shortDigest(manifest.subject)}</a>`]);
  const trustParts = [pullSection(ctx, repository, digest, own), signatureSection(trust, accessories, ctx.now), attachedSection((d) => imagePath(repository, d), accessories, ctx.now)];
  let sections: string[];
  if (isIndex(manifest) && !scan) {
    const status = await imageStatus(ctx.metadata, repository, digest);
    meta.push(['Scan', stateLabel(status.state)]);
    sections = [...trustParts, await indexSection(ctx, manifest)];
  } else {
    const image = await imageSections(ctx, manifest, scan, threshold, verdict, meta);
    sections = [...trustParts, ...image];
  }
  const title = `${repository}@${digest.slice(0, 19)}`;
  const body = `<h1>${h(repository)} <small>${shortDigest(digest)}</small></h1>\n${verdictSection(verdict)}\n${actionsSection(repository, digest, actions)}\n${metaList(meta)}\n${sections.join('\n')}`;
  return { title, crumbs: [{ label: 'Repositories', href: UI_ROOT }, { label: repository, href: repositoryPath(repository) }, { label: digest.slice(0, 19) }], body };
}
