/**
 * Alpine secdb (and the apk-style secdb of Wolfi, Chainguard and MinimOS):
 * the YAML files of the alpinelinux/alpine-secdb repository, the live JSON of
 * https://secdb.alpinelinux.org/<rel>/<repo>.json, and vuln-list's
 * per-package JSON. All share `{distroversion, reponame, packages: [{pkg:
 * {name, secfixes: {"<fixed pkgver>": [ids]}}}]}`.
 *
 * Mapping (one advisory per vulnerability id and file, scoped to the file):
 * - ecosystem `Alpine:<distroversion>` (`Alpine:v3.10`, `Alpine:edge`); files
 *   without `distroversion` are `Wolfi`, `Chainguard` or `MinimOS`, told
 *   apart by `urlprefix`/`reponame` (or `options.ecosystem`);
 * - package = the origin (source) package name;
 * - fixed version V → range `introduced 0, fixed V`, status `fixed`; when one
 *   id is listed under several versions of a package, the lowest (apk order)
 *   is the fix; fixed version `"0"` → status `not-affected`, no range;
 * - advisory id `ALPINE-<id>` (`WOLFI-`, `CHAINGUARD-`, `MINIMOS-`), with
 *   `upstream: [<id>]`, like osv.dev's `ALPINE-CVE-…` records;
 * - fix ids are free text. The id is the first `CVE-YYYY-N…` found (after
 *   rewriting `CVE_`/`CVE ` to `CVE-`, so `CVE-2017-8073.patch` and
 *   `CVE-2017-17434-1` give the plain CVE), else the first `GHSA-…`, else the
 *   first whitespace-separated token that looks like an id (`XSA-207`,
 *   `ZBX-11023`, `wnpa-sec-2017-18`; `CVE-????-?????  XSA-295` gives
 *   `XSA-295`). Unlike trivy-db, ids without a CVE are kept as their own
 *   advisory: they name real fixes, and a scanner should report them;
 * - packages as `{}` (lua-cjson's empty object), `secfixes: null`, and
 *   `null` or non-list id values are accepted as "nothing listed".
 * A fixed version the apk scheme rejects skips that (package, version) entry,
 * counted and named.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { Advisory, AffectedPackage } from '../../core/index.js';
import { apk } from '../versions/apk.js';
import { walkFiles } from './files.js';
import { checkAborted, countingSink, messageOf, type AdvisorySink, type Source, type SourceOptions, type SourceSummary } from './source.js';

type Json = Record<string, unknown>;
function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const CVE_RE = /CVE-\d{4}-\d{4,}/;
const GHSA_RE = /GHSA(?:-[23456789cfghjmpqrvwx]{4}){3}/;
const ID_TOKEN_RE = /^[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)+$/;

/** The vulnerability id a secdb fix entry names (see the module comment); undefined when there is none. */
export function secfixId(raw: string): string | undefined {
  const text = raw.trim().replace(/CVE[_ ](?=\d{4})/g, 'CVE-');
  const cve = CVE_RE.exec(text);
  if (cve) return cve[0];
  const ghsa = GHSA_RE.exec(text);
  if (ghsa) return ghsa[0];
  for (const token of text.split(/\s+/)) {
    if (ID_TOKEN_RE.test(token) && !token.includes('?')) return token;
  }
  return undefined;
}

/** `Wolfi`, `Chainguard` or `MinimOS` for a secdb without `distroversion`. */
function apkStyleEcosystem(doc: Json): string | undefined {
  const hint = `${String(doc.urlprefix ?? '')} ${String(doc.reponame ?? '')} ${String(doc.apkurl ?? '')}`.toLowerCase();
  if (hint.includes('wolfi')) return 'Wolfi';
  if (hint.includes('cgr.dev') || hint.includes('chainguard')) return 'Chainguard';
  if (hint.includes('mini.dev') || hint.includes('minimos')) return 'MinimOS';
  return undefined;
}

interface PackageEntry {
  readonly name: string;
  readonly secfixes: unknown;
}

function packagesOf(doc: Json): PackageEntry[] {
  // vuln-list's per-package layout: the document is one package.
  if (typeof doc.name === 'string' && 'secfixes' in doc) return [{ name: doc.name, secfixes: doc.secfixes }];
  const list = doc.packages;
  if (!Array.isArray(list)) return []; // `{}` (lua-cjson) or missing: nothing
  const out: PackageEntry[] = [];
  for (const p of list) {
    const pkg = isObject(p) && isObject(p.pkg) ? p.pkg : undefined;
    if (pkg && typeof pkg.name === 'string') out.push({ name: pkg.name, secfixes: pkg.secfixes });
  }
  return out;
}

/** Converts one parsed secdb document into advisories; skips are reported through the callbacks. */
export function convertSecdb(
  doc: unknown,
  label: string,
  report: { skip(record: string, reason: string): void; warn(record: string, message: string): void },
  options: { ecosystem?: string } = {},
): Advisory[] {
  if (!isObject(doc)) {
    report.skip(label, 'not a secdb document');
    return [];
  }
  const release = typeof doc.distroversion === 'string' && doc.distroversion !== '' ? doc.distroversion : undefined;
  const distro = release ? 'Alpine' : options.ecosystem ?? apkStyleEcosystem(doc);
  if (!distro) {
    report.skip(label, 'no distroversion and not recognisably Wolfi, Chainguard or MinimOS (pass the ecosystem)');
    return [];
  }
  const ecosystem = release ? `Alpine:${release}` : distro;
  const repo = typeof doc.reponame === 'string' ? doc.reponame : '';
  const scope = `${release ?? distro}/${repo}`;
  const sourceRecord = `${distro.toLowerCase()}-secdb:${scope}`;
  const prefix = distro.toUpperCase();

  // id → package → lowest fixed version
  const byId = new Map<string, Map<string, string>>();
  for (const pkg of packagesOf(doc)) {
    if (!isObject(pkg.secfixes)) continue; // null / missing
    for (const [version, ids] of Object.entries(pkg.secfixes)) {
      if (!Array.isArray(ids)) continue; // `null`: nothing listed for this version
      const record = `${label}: ${pkg.name} ${version}`;
      if (version !== '0' && !apk.isValid(version)) {
        report.skip(record, `invalid apk version ${JSON.stringify(version)}`);
        continue;
      }
      for (const raw of ids) {
        if (typeof raw !== 'string') continue;
        const id = secfixId(raw);
        if (!id) {
          report.warn(record, `fix entry ${JSON.stringify(raw)} names no vulnerability id; ignored`);
          continue;
        }
        let pkgs = byId.get(id);
        if (!pkgs) byId.set(id, (pkgs = new Map()));
        const prev = pkgs.get(pkg.name);
        // "0" (never affected) only wins when nothing else is listed; otherwise the lowest fix.
        if (prev === undefined || prev === '0' || (version !== '0' && apk.compare(version, prev) < 0)) pkgs.set(pkg.name, version);
      }
    }
  }

  const out: Advisory[] = [];
  for (const [id, pkgs] of byId) {
    const affected: AffectedPackage[] = [...pkgs].map(([name, fixed]) =>
      fixed === '0'
        ? { ecosystem, name, ranges: [], status: 'not-affected', sourceRecord }
        : { ecosystem, name, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }], fixed, status: 'fixed', sourceRecord },
    );
    out.push({
      id: `${prefix}-${id}`,
      feed: 'alpine-secdb',
      scope,
      aliases: [],
      upstream: [id],
      severities: [],
      references: release && id.startsWith('CVE-') ? [{ type: 'ADVISORY', url: `https://security.alpinelinux.org/vuln/${id}` }] : [],
      affected,
    });
  }
  return out;
}

export const alpineSecdbSource: Source = {
  name: 'alpine-secdb',
  async import(input: string, sink: AdvisorySink, options: SourceOptions = {}): Promise<SourceSummary> {
    const counting = countingSink(sink);
    for await (const file of walkFiles(input, (n) => /\.(json|ya?ml)$/i.test(n))) {
      checkAborted(options.signal);
      const label = file === input && options.label ? options.label : file;
      let doc: unknown;
      try {
        const text = readFileSync(file, 'utf8');
        doc = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text, { schema: 'failsafe' });
      } catch (error) {
        counting.skip(label, `unreadable: ${messageOf(error)}`);
        continue;
      }
      for (const advisory of convertSecdb(doc, label, counting, options.ecosystem ? { ecosystem: options.ecosystem } : {})) {
        await counting.advisory(advisory);
      }
    }
    return { advisories: counting.counts.advisories, skipped: counting.counts.skipped };
  },
};
