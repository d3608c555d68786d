/**
 * The lint use case. For an image: ONE streaming walk of the layers for the
 * merged view (the cataloguers' wants and the image checks' wants together),
 * then ONE per-layer pass (forEachEntry on every layer) for what only the
 * layers' own entries show — secrets in files deleted later, and the setuid,
 * world-writable and ELF files of the final filesystem. With an advisory
 * database, the vulnerability matcher counts what a rebuild would fix. For a
 * Dockerfile: the Dockerfile linter. Both then take the rule configuration
 * (`.portcullis.yaml` `lint:` or `--config`) and the same ignore file as
 * `scan` (`.portcullisignore`: `id` is a rule id, `path` the file in the
 * image or the Dockerfile).
 *
 * An entry of `engine` of its own (docs/architecture.md): `portcullis lint`.
 */
import { parse as parseYaml } from 'yaml';
import { type Inventory, readRegularFile, UserFileError, CoreError, appendAll } from '../core/index.js';
import { ALL_CATALOGERS, runCatalogers, selectorFor, type Cataloger } from '../catalog/index.js';
import {
  type HygieneFinding,
  lintConfigFrom,
  type LintConfig,
  lintDockerfile,
  type DockerfileFinding,
  combineSelectors,
  imageSelector,
  lintImageFacts,
  scanLayers,
  type ImageFinding,
  type RebuildFixes,
} from '../hygiene/index.js';
import { HygieneError } from '../hygiene/rules.js';
import { loadEolData, type LoadedEolData } from '../hygiene/eol.js';
import { resolveImage, type ResolveOptions, formatPlatform, type ImageSource } from '../image/index.js';
import { walkLayers, type WalkLimits } from '../layers/index.js';
import { advisoryStoreReadable, defaultDbPath, describeLocation, openAdvisoryReader, type AdvisoryReader } from '../vuln/index.js';
import { matchInventory, type MatchStore } from '../vuln/match/index.js';
import { expiryTime, type IgnoreEntry, type IgnoreFile } from './ignore.js';
import { layerInputs } from './layer-inputs.js';

export const DEFAULT_CONFIG_FILE = '.portcullis.yaml';
const MAX_CONFIG_BYTES = 1024 * 1024;

/** Reads the lint configuration: `path` must exist; without it `.portcullis.yaml` in `cwd` is read when present. */
export async function loadLintConfig(path?: string, cwd = process.cwd()): Promise<{ config: LintConfig; path?: string }> {
  const file = path ?? `${cwd}/${DEFAULT_CONFIG_FILE}`;
  let text: string;
  try {
    const buf = await readRegularFile(file, { maxBytes: MAX_CONFIG_BYTES });
    text = buf.toString('utf8');
  } catch (error) {
    if (error instanceof HygieneError || error instanceof UserFileError) throw error;
    if (error instanceof CoreError && error.code === 'TOO_LARGE') throw new HygieneError('CONFIG_INVALID', `${file} is larger than ${MAX_CONFIG_BYTES} bytes`, { cause: error });
    if (path === undefined && (error as NodeJS.ErrnoException).code === 'ENOENT') return { config: {} };
    throw new HygieneError('CONFIG_INVALID', `cannot read config file ${file}: ${(error as Error).message}`, { cause: error });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (error) {
    throw new HygieneError('CONFIG_INVALID', `${file}: not valid YAML: ${(error as Error).message}`, { cause: error });
  }
  return { config: lintConfigFrom(doc, file), path: file };
}

export interface SuppressedFinding<F extends HygieneFinding = HygieneFinding> {
  readonly finding: F;
  readonly by: 'ignorefile';
  readonly reason: string;
}

function findingPath(f: HygieneFinding): string | undefined {
  return f.location.kind === 'image' ? f.location.path : f.location.file;
}

/** True when an ignore entry names this lint finding: same rule id; `path`, when given, is the finding's path (`*` suffix: prefix); package/purl entries are for vulnerabilities and never match. */
export function ignoreEntryMatches(entry: IgnoreEntry, finding: HygieneFinding): boolean {
  if (entry.id !== finding.ruleId || entry.package || entry.purl) return false;
  if (!entry.path) return true;
  const p = (findingPath(finding) ?? '').replace(/^\/+/, '');
  const want = entry.path.replace(/^\/+/, '');
  return want.endsWith('*') ? p.startsWith(want.slice(0, -1)) : p === want;
}

/** Splits findings into kept and suppressed by the ignore file; expired entries ignore nothing and give a warning. */
export function applyLintIgnores<F extends HygieneFinding>(
  findings: readonly F[],
  file: IgnoreFile | undefined,
  now: Date = new Date(),
): { kept: F[]; suppressed: SuppressedFinding<F>[]; warnings: string[] } {
  if (!file) return { kept: [...findings], suppressed: [], warnings: [] };
  const warnings: string[] = [];
  const live: IgnoreEntry[] = [];
  for (const e of file.entries) {
    if (!e.id.includes('/')) continue; // a vulnerability id: scan's business
    if (e.expires && expiryTime(e.expires) < now.getTime()) {
      warnings.push(`${file.path}: the ignore entry for ${e.id}${e.path ? ` (${e.path})` : ''} expired on ${e.expires} and no longer applies`);
      continue;
    }
    live.push(e);
  }
  const kept: F[] = [];
  const suppressed: SuppressedFinding<F>[] = [];
  for (const f of findings) {
    const entry = live.find((e) => ignoreEntryMatches(e, f));
    if (entry) suppressed.push({ finding: f, by: 'ignorefile', reason: entry.owner ? `${entry.reason} (owner: ${entry.owner})` : entry.reason });
    else kept.push(f);
  }
  return { kept, suppressed, warnings };
}

export interface LintImageOptions extends ResolveOptions {
  readonly config?: LintConfig;
  readonly ignore?: IgnoreFile;
  /** The time to judge ages against (default now). */
  readonly now?: Date;
  readonly signal?: AbortSignal;
  /** EOL data (default: the refreshed copy in the cache, else the bundled data). */
  readonly eol?: LoadedEolData;
  readonly env?: NodeJS.ProcessEnv;
  readonly cacheDir?: string;
  /** Advisory database for "rebuild fixes N of M" (default defaultDbPath(); skipped when absent); false to skip. */
  readonly dbPath?: string | false;
  /** An open store instead of dbPath. */
  readonly store?: MatchStore;
  /** Replaces the matcher-based count (tests, other matchers). */
  readonly countRebuildFixes?: (inventory: Inventory) => Promise<RebuildFixes | undefined>;
  /** Bytes of each file checked for secrets (default 256 KiB). */
  readonly maxSecretBytes?: number;
  readonly catalogers?: readonly Cataloger[];
  /** Caps on the layers and tar entries the walk reads (default: layers/limits.ts; over one, LAYER_TOO_MANY_*). */
  readonly limits?: WalkLimits;
}

export interface LintCost {
  /** Milliseconds of the merged walk (with cataloguing) and of the per-layer pass. */
  readonly walkMs: number;
  readonly layerPassMs: number;
  /** Files whose text was checked for secrets, and the bytes read for that. */
  readonly scannedFiles: number;
  readonly scannedBytes: number;
  readonly skippedBinary: number;
}

export interface LintImageResult {
  readonly findings: ImageFinding[];
  readonly suppressed: SuppressedFinding<ImageFinding>[];
  readonly warnings: string[];
  readonly image: {
    readonly digest: string;
    readonly configDigest: string;
    readonly platform?: string;
    readonly created?: string;
    readonly os?: string;
  };
  readonly rebuild?: RebuildFixes;
  readonly cost: LintCost;
  /**
   * The inventory's reasons for being incomplete (core/inventory.ts): the
   * checks that use it (unmanaged binaries, EOL base, rebuild fixes) may be
   * wrong. Absent when complete.
   */
  readonly incomplete?: readonly string[];
}

/** Counts, with the vulnerability matcher: findings whose fix the distribution already ships (status fixed, OS packages) out of all findings. */
export async function countRebuildFixesWith(inventory: Inventory, store: MatchStore): Promise<RebuildFixes> {
  const findings = await matchInventory(inventory, store);
  const os = new Set(['dpkg', 'apk', 'rpm']);
  const fixable = findings.filter((f) => f.status === 'fixed' && os.has(f.package.foundBy)).length;
  return { fixable, total: findings.length };
}

async function rebuildFixes(inventory: Inventory, options: LintImageOptions, warnings: string[]): Promise<RebuildFixes | undefined> {
  if (options.countRebuildFixes) return options.countRebuildFixes(inventory);
  if (options.store) return countRebuildFixesWith(inventory, options.store);
  if (options.dbPath === false) return undefined;
  const path = options.dbPath ?? defaultDbPath(options.env ?? process.env);
  if (!advisoryStoreReadable(path)) return undefined;
  let store: AdvisoryReader | undefined;
  try {
    store = await openAdvisoryReader(path);
    return await countRebuildFixesWith(inventory, store);
  } catch (error) {
    warnings.push(`advisory database ${describeLocation(path)}: ${(error as Error).message}; "rebuild fixes" not computed`);
    return undefined;
  } finally {
    await store?.close();
  }
}

export async function lintImage(source: ImageSource, options: LintImageOptions = {}): Promise<LintImageResult> {
  const now = options.now ?? new Date();
  const warnings: string[] = [];
  const image = await resolveImage(source, options);
  const layers = layerInputs(image);
  const catalogers = options.catalogers ?? ALL_CATALOGERS;
  const signal = options.signal ? { signal: options.signal } : {};

  const t0 = performance.now();
  const view = await walkLayers(layers, combineSelectors(selectorFor(catalogers), imageSelector(image.config)), { ...options.limits, ...signal });
  const inventory = await runCatalogers(view, catalogers);
  const t1 = performance.now();

  // Files an OS package owns are distribution content: their text is not checked for secrets.
  const owned = new Set<string>();
  for (const o of inventory.ownedFiles) {
    for (const p of o.paths) {
      owned.add(p);
      try {
        owned.add(view.resolve(p, false));
      } catch {
        // a looping link: the path as listed is enough
      }
    }
  }
  const layerScan = await scanLayers(layers, {
    skipSecrets: (p) => owned.has(p),
    ...(options.maxSecretBytes !== undefined ? { maxSecretBytes: options.maxSecretBytes } : {}),
    ...signal,
  });
  const t2 = performance.now();

  const eol = options.eol ?? (await loadEolData({ ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}), ...(options.env ? { env: options.env } : {}) }));
  appendAll(warnings, eol.warnings);
  const rebuild = await rebuildFixes(inventory, options, warnings);
  const uncompressedSize = view.layerStats.reduce((n, s) => n + s.uncompressedSize, 0);
  const config = options.config ?? {};
  const result = lintImageFacts(
    {
      ...(image.config ? { config: image.config } : {}),
      layers: layers.map((l) => l.origin),
      uncompressedSize,
      view,
      inventory,
      layerScan,
      eol: eol.data,
      ...(rebuild ? { rebuild } : {}),
      now,
      options: {
        ...(config.eolWarnDays !== undefined ? { eolWarnDays: config.eolWarnDays } : {}),
        ...(config.staleDays !== undefined ? { staleDays: config.staleDays } : {}),
      },
    },
    { config, eolFrom: eol.from },
  );
  const ignored = applyLintIgnores(result.findings, options.ignore, now);
  appendAll(warnings, result.warnings);
  appendAll(warnings, ignored.warnings);
  for (const w of view.warnings) warnings.push(`layers: ${w}`);
  const os = inventory.os ? `${inventory.os.id}${inventory.os.versionId ? ` ${inventory.os.versionId}` : ''}` : undefined;
  return {
    findings: ignored.kept,
    suppressed: ignored.suppressed,
    warnings: [...new Set(warnings)],
    image: {
      digest: image.manifestBlob.digest,
      configDigest: image.manifest.config.digest,
      ...(image.platform ? { platform: formatPlatform(image.platform) } : {}),
      ...(image.config?.created ? { created: image.config.created } : {}),
      ...(os ? { os } : {}),
    },
    ...(rebuild ? { rebuild } : {}),
    ...(inventory.incomplete?.length ? { incomplete: inventory.incomplete } : {}),
    cost: {
      walkMs: Math.round(t1 - t0),
      layerPassMs: Math.round(t2 - t1),
      scannedFiles: layerScan.scannedFiles,
      scannedBytes: layerScan.scannedBytes,
      skippedBinary: layerScan.skippedBinary,
    },
  };
}

export interface LintDockerfileFileOptions {
  readonly config?: LintConfig;
  readonly ignore?: IgnoreFile;
  readonly now?: Date;
  /** The name to show (default the path). */
  readonly displayName?: string;
  /** End-of-life data for dockerfile/base-eol (default: loaded as image lint loads it). */
  readonly eol?: LoadedEolData;
  readonly cacheDir?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export interface LintDockerfileFileResult {
  readonly findings: DockerfileFinding[];
  readonly suppressed: SuppressedFinding<DockerfileFinding>[];
  readonly warnings: string[];
}

/** Lints a Dockerfile on disk (its inline ignores, the config, the ignore file). */
export async function lintDockerfileFile(path: string, options: LintDockerfileFileOptions = {}): Promise<LintDockerfileFileResult> {
  const bytes = await readRegularFile(path, { what: `the Dockerfile ${path}` });
  const config = options.config ?? {};
  const rules = { ...(config.enable ? { enable: config.enable } : {}), ...(config.disable ? { disable: config.disable } : {}) };
  const eol = options.eol ?? (await loadEolData({ ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}), ...(options.env ? { env: options.env } : {}) }));
  const now = options.now ?? new Date();
  const result = lintDockerfile(bytes, { file: options.displayName ?? path, config: rules, eol: eol.data, now });
  const ignored = applyLintIgnores(result.findings, options.ignore, now);
  return { findings: ignored.kept, suppressed: ignored.suppressed, warnings: [...eol.warnings, ...result.warnings, ...ignored.warnings] };
}
