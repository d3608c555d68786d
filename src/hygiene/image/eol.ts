/**
 * image/eol-base, image/eol-soon: the distribution release (os-release) and
 * language runtimes installed outside the package manager, against the EOL
 * data (src/hygiene/eol.ts).
 */
import type { ImageFile } from '../../core/index.js';
import { daysUntil, supportEnd, type SupportEnd } from '../eol.js';
import type { ImageCheck, ImageLintContext } from './check.js';
import { RUNTIME_MARKERS } from './selector.js';

/** os-release IDs whose product id in the EOL data differs. */
const OS_PRODUCT: Readonly<Record<string, string>> = { rocky: 'rocky', almalinux: 'almalinux', rhel: 'rhel', centos: 'centos', amzn: 'amzn', mariner: 'azurelinux', opensuse: 'opensuse-leap' };

/** The EOL product of an os-release: CentOS Stream shares `ID=centos` with CentOS Linux and is told apart by its name. */
export function osEolProduct(os: { readonly id: string; readonly prettyName?: string }): string {
  if (os.id === 'centos' && /^centos stream/i.test(os.prettyName ?? '')) return 'centos-stream';
  return OS_PRODUCT[os.id] ?? os.id;
}

function judge(ctx: ImageLintContext, end: SupportEnd, what: string, path: string | undefined, file: ImageFile | undefined): void {
  const name = `${end.product.name} ${end.cycle.cycle}${end.cycle.codename ? ` (${end.cycle.codename})` : ''}`;
  const phase = end.product.supportEnds === 'extendedSupport' && end.cycle.extendedSupport !== undefined ? ', extended support included' : '';
  const where = path ? ` (${what}: ${path})` : '';
  const base = { ...(path ? { path } : {}), ...(file ? { layer: file.layer } : {}) };
  if (end.ended === true) {
    ctx.report({ ruleId: 'image/eol-base', message: `${name} is past the end of its security support${where}`, ...base });
    return;
  }
  if (end.date === undefined) return;
  const days = daysUntil(end.date, ctx.facts.now);
  if (days < 0) {
    ctx.report({ ruleId: 'image/eol-base', message: `${name} lost security support on ${end.date}${phase}, ${-days} days ago${where}`, ...base });
  } else if (days <= ctx.eolWarnDays) {
    ctx.report({ ruleId: 'image/eol-soon', message: `${name} loses security support on ${end.date}${phase}, in ${days} days${where}`, ...base });
  }
}

/** The version a runtime marker file states; undefined when it does not parse. */
export function runtimeVersion(product: string, path: string, content: Buffer | undefined): string | undefined {
  if (product === 'python') return /python(\d+\.\d+)\/os\.py$/.exec(path)?.[1];
  const text = content?.toString('utf8') ?? '';
  if (product === 'nodejs') {
    const part = (n: string): string | undefined => new RegExp(`#define\\s+NODE_${n}_VERSION\\s+(\\d+)`).exec(text)?.[1];
    const major = part('MAJOR');
    return major === undefined ? undefined : [major, part('MINOR') ?? '0', part('PATCH') ?? '0'].join('.');
  }
  if (product === 'go') return /^go(\d+\.\d+(?:\.\d+)?)/.exec(text.trim())?.[1];
  if (product === 'java') {
    const v = /^JAVA_VERSION="?([^"\n]+)"?/m.exec(text)?.[1];
    if (!v) return undefined;
    // 1.8.0_392 → 8; 17.0.9 → 17.0.9
    const legacy = /^1\.(\d+)\./.exec(v);
    return legacy ? legacy[1] : v;
  }
  return undefined;
}

function check(ctx: ImageLintContext): void {
  const { inventory, eol } = ctx.facts;
  const os = inventory.os;
  if (os?.versionId) {
    const product = osEolProduct(os);
    if (eol.products[product]) {
      const end = supportEnd(eol, product, os.versionId);
      if (end) judge(ctx, end, 'os-release', os.path, ctx.file(os.path));
      else ctx.warn(`EOL data has no release ${os.versionId} of ${eol.products[product]?.name ?? product}; run 'portcullis db update' to refresh it`);
    }
  }
  const owned = ctx.ownedPaths();
  const seen = new Set<string>();
  for (const file of ctx.facts.view.files()) {
    const marker = RUNTIME_MARKERS.find((r) => r.test.test(file.path));
    if (!marker || file.kind === 'symlink') continue;
    if (owned.has(file.path) || owned.has(ctx.physical(file.path))) continue; // the distribution supports its own runtimes
    const version = runtimeVersion(marker.product, file.path, file.content);
    if (!version) continue;
    const key = `${marker.product} ${version}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const end = supportEnd(eol, marker.product, version);
    if (end) judge(ctx, end, `${end.product.name} ${version}`, file.path, file);
    else ctx.warn(`EOL data has no cycle for ${marker.product} ${version} (${file.path})`);
  }
}

export const eolCheck: ImageCheck = { name: 'eol', rules: ['image/eol-base', 'image/eol-soon'], check };
