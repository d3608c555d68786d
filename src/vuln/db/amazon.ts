/**
 * The `amazon` feed of `update`: Amazon Linux's advisories live only in the
 * yum metadata of its repositories, so the download walks them as yum (and
 * Trivy's vuln-list-update `amazon/`) does:
 *
 *   mirror.list → a repository URL (first that answers) → repodata/repomd.xml
 *   → `<data type="updateinfo">`'s `<location href>` → updateinfo.xml.gz
 *
 * mirror.list and repomd.xml are small and fetched every time (capped like
 * the Alpine index pages); the updateinfo document goes through the shared
 * Downloader (conditional requests, resumable, capped), and is checked
 * against repomd.xml's checksum before it is imported: a document that does
 * not match what the repository announced fails the update. A location that
 * leaves the repository (another host, `..`) is refused: the repository
 * names its own files.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { failure, type Downloader } from './download.js';

/** Each release's repository list, as Trivy's vuln-list-update reads them (AL1 is served over plain HTTP only). */
export const DEFAULT_AMAZON_MIRROR_LISTS: readonly string[] = [
  'http://repo.us-west-2.amazonaws.com/2018.03/updates/x86_64/mirror.list',
  'https://cdn.amazonlinux.com/2/core/latest/x86_64/mirror.list',
  'https://cdn.amazonlinux.com/al2022/core/mirrors/latest/x86_64/mirror.list',
  'https://cdn.amazonlinux.com/al2023/core/mirrors/latest/x86_64/mirror.list',
];

/** Repositories tried per mirror.list, in its order. */
const MAX_MIRRORS = 4;
const CHECKSUMS: Readonly<Record<string, string>> = { sha256: 'sha256', sha512: 'sha512', sha384: 'sha384', sha1: 'sha1', sha: 'sha1' };

export interface RepomdUpdateinfo {
  /** The `href` as written, relative to the repository. */
  readonly href: string;
  /** `<checksum type>` and value of the (compressed) file, when the type is one node:crypto knows. */
  readonly checksum?: { readonly algorithm: string; readonly hex: string };
}

/** The repository URLs of a mirror.list: one per line, `#` comments and blank lines ignored. */
export function mirrorUrls(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (!/^https?:\/\/\S+$/.test(line)) continue;
    out.push(line);
    if (out.length === MAX_MIRRORS) break;
  }
  return out;
}

/** The updateinfo entry of a repomd.xml; throws (one line) when the document is not repomd or names none. */
export function repomdUpdateinfo(text: string, what: string): RepomdUpdateinfo {
  const parser = new SaxesParser({ xmlns: false, position: false });
  let depth = 0;
  let root: string | undefined;
  let inUpdateinfo = false;
  let checksumType: string | undefined;
  let inChecksum = false;
  let checksum = '';
  let href: string | undefined;
  let found: RepomdUpdateinfo | undefined;
  parser.on('opentag', (tag: SaxesTagPlain) => {
    depth++;
    if (depth === 1) root = tag.name;
    else if (depth === 2 && tag.name === 'data' && tag.attributes.type === 'updateinfo' && !found) inUpdateinfo = true;
    else if (depth === 3 && inUpdateinfo && tag.name === 'location') href = tag.attributes.href;
    else if (depth === 3 && inUpdateinfo && tag.name === 'checksum') {
      checksumType = tag.attributes.type;
      inChecksum = true;
    }
  });
  parser.on('text', (t) => {
    if (inChecksum && checksum.length < 256) checksum += t;
  });
  parser.on('closetag', () => {
    if (depth === 3) inChecksum = false;
    if (depth === 2 && inUpdateinfo) {
      inUpdateinfo = false;
      if (href) {
        const algorithm = CHECKSUMS[checksumType ?? ''];
        const hex = checksum.trim().toLowerCase();
        found = { href, ...(algorithm && /^[0-9a-f]{40,128}$/.test(hex) ? { checksum: { algorithm, hex } } : {}) };
      }
    }
    depth--;
  });
  try {
    parser.write(text).close();
  } catch (error) {
    throw failure(`${what}: not well-formed XML: ${(error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ')}`, error);
  }
  if (root !== 'repomd') throw failure(`${what}: not a repomd.xml document (the root element is ${root ? `<${root}>` : 'missing'})`);
  if (!found) throw failure(`${what}: names no <data type="updateinfo"> with a location`);
  return found;
}

/** `href` resolved against the repository; undefined when it would leave it. */
export function locationUrl(repository: string, href: string): string | undefined {
  const base = new URL(repository.endsWith('/') ? repository : `${repository}/`);
  if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('/') || href.split(/[/\\]/).includes('..')) return undefined;
  const url = new URL(href, base);
  return url.origin === base.origin && url.pathname.startsWith(base.pathname) ? url.toString() : undefined;
}

async function fileDigest(path: string, algorithm: string): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Downloads the updateinfo of each mirror.list (conditional: nothing when
 * unchanged). Throws DbError('UPDATE_FAILED') naming the list and, when no
 * repository answered, each one's cause.
 */
export async function downloadAmazon(dl: Downloader, mirrorLists: readonly string[]): Promise<void> {
  for (const [index, listUrl] of mirrorLists.entries()) {
    const mirrors = mirrorUrls(await dl.text(listUrl, 'Amazon Linux mirror.list'));
    if (mirrors.length === 0) throw failure(`amazon feed: ${listUrl} lists no repository URL`);
    const causes: string[] = [];
    let picked: { repository: string; repomdUrl: string; info: RepomdUpdateinfo } | undefined;
    for (const repository of mirrors) {
      const repomdUrl = new URL('repodata/repomd.xml', repository.endsWith('/') ? repository : `${repository}/`).toString();
      try {
        picked = { repository, repomdUrl, info: repomdUpdateinfo(await dl.text(repomdUrl, 'Amazon Linux repomd.xml'), repomdUrl) };
        break;
      } catch (error) {
        causes.push(error instanceof Error ? error.message : String(error));
      }
    }
    if (!picked) throw failure(`amazon feed: no repository of ${listUrl} gave a usable repomd.xml: ${causes.join('; ')}`);
    const url = locationUrl(picked.repository, picked.info.href);
    if (!url) throw failure(`amazon feed: ${picked.repomdUrl} names an updateinfo outside the repository (${JSON.stringify(picked.info.href.slice(0, 200))}); refused`);
    const gz = /\.gz$/i.test(new URL(url).pathname);
    const got = await dl.file('amazon', url, `amazon-${index}-updateinfo.xml${gz ? '.gz' : ''}`);
    const sum = picked.info.checksum;
    if (!got || !sum) continue;
    const digest = await fileDigest(got.file, sum.algorithm);
    if (digest !== sum.hex) {
      await rm(got.file, { force: true });
      dl.downloaded.splice(dl.downloaded.indexOf(got), 1);
      throw failure(`amazon feed: ${url} has ${sum.algorithm} ${digest}, not the ${sum.hex} repomd.xml announces; not imported`);
    }
  }
}
