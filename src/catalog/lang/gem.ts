/**
 * RubyGems: installed gems' `specifications/*.gemspec` (including
 * `specifications/default/`). These are Ruby source written by RubyGems
 * (`Gem::Specification.new do |s| s.name = "rake".freeze …`); we never run
 * Ruby: a small tolerant parser reads the literal assignments to `name`,
 * `version`, `license` and `licenses`, with the `# stub: name version`
 * comment as a fallback.
 */
import type { FileView, Package } from '../../core/index.js';
import type { CatalogContext, CatalogResult, Cataloger } from '../cataloger.js';
import { buildPurl, catalogEach, type ParseResult, utf8 } from './common.js';

const FOUND_BY = 'gem';
const MAX_BYTES = 4 << 20;
const WANTED = /(?:^|\/)specifications\/(?:default\/)?[^/]+\.gemspec$/;

/** The string literals of a Ruby expression: "…", '…', %q{…}/%Q(…), ignoring `.freeze` and wrappers. */
export function rubyStrings(expr: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|%[qQ]?([{([<])([^})\]>]*)[})\]>]/g;
  for (let m = re.exec(expr); m; m = re.exec(expr)) {
    const v = m[1] ?? m[2] ?? m[4] ?? '';
    out.push(v.replace(/\\(.)/g, '$1'));
  }
  return out;
}

export function parseGemspec(bytes: Uint8Array, path: string): ParseResult {
  const text = utf8(bytes);
  const fields = new Map<string, string[]>();
  // `s.name = …` / `spec.version = …`; multi-line arrays are joined until the closing bracket.
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*\w+\.(name|version|licenses?)\s*=\s*(.*)$/.exec(lines[i] ?? '');
    if (!m?.[1]) continue;
    let rhs = m[2] ?? '';
    let guard = 0;
    while ((rhs.match(/\[/g)?.length ?? 0) > (rhs.match(/\]/g)?.length ?? 0) && i + 1 < lines.length && guard++ < 200) rhs += ` ${lines[++i]}`;
    if (!fields.has(m[1])) fields.set(m[1], rubyStrings(rhs));
  }
  const stub = /^# stub: (\S+) (\S+)/m.exec(text);
  const name = fields.get('name')?.[0] ?? stub?.[1];
  const version = fields.get('version')?.[0] ?? stub?.[2];
  if (!name || !version) return { packages: [], warnings: [`${path}: gemspec without a literal ${name ? 'version' : 'name'}; skipped`] };
  const purl = buildPurl('gem', undefined, name, version);
  if (!purl) return { packages: [], warnings: [`${path}: cannot build a purl for ${name} ${version}; skipped`] };
  const licenses = [...new Set([...(fields.get('licenses') ?? []), ...(fields.get('license') ?? [])])].filter((l) => l !== '');
  const pkg: Package = {
    name,
    version,
    ecosystem: 'rubygems',
    purl,
    foundBy: FOUND_BY,
    path,
    ...(licenses.length ? { licenses } : {}),
  };
  return { packages: [pkg], warnings: [] };
}

export const gemCataloger: Cataloger = {
  name: FOUND_BY,
  version: 2,
  wants(path: string) {
    return WANTED.test(path) ? { maxBytes: MAX_BYTES } : false;
  },
  async catalog(view: FileView, _context: CatalogContext): Promise<CatalogResult> {
    return catalogEach(view, (f) => WANTED.test(f.path), (bytes, f) => parseGemspec(bytes, f.path));
  },
};
