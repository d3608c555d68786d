/**
 * The scan use case: an inventory (from an image over any transport, an SBOM
 * file or an unpacked root filesystem), matched against the advisory
 * database, then passed through the gate. The result is the versioned
 * `ScanResult` (docs/scan.md). What the cataloguers could not read and the
 * packages the matcher could not match are `incomplete`: findings may be
 * missing, and a gate must treat that as a failed scan (the CLI exits 12).
 *
 * An inventory already taken (the registry stores one per image) is matched
 * again without opening the image: the `inventory` target, whose `image`
 * carries each layer's creating command as the first scan described it.
 *
 * An entry of `engine` of its own (docs/architecture.md): `portcullis scan`
 * and the server's scans. The gate's options and the VEX reader come with it.
 */
import { appendAll, compareFindings, PortcullisError, type LayerOrigin, type Finding, type ScanResult, type Inventory, type Platform } from '../core/index.js';
import { formatPlatform, type ResolvedImage, type ImageSource, type SystemContext } from '../image/index.js';
import { defaultTransports } from '../image/all.js';
import { decodeSbomFile } from '../sbom/decode.js';
import { advisoryStoreReadable, annotateExploitation, cvesOf, dbStatus, defaultDbPath, describeLocation, inSnapshot, openAdvisoryReader, type AdvisoryReader } from '../vuln/index.js';
import { LANGUAGE_ECOSYSTEMS, matchInventory, rerateFindings, type MatchStore } from '../vuln/match/index.js';
import type { Cataloger } from '../catalog/index.js';
import { applyGate, type GateOptions, type GateResult } from './gate.js';
import { inventoryImage, inventoryRootfs, type WalkLimitNames } from './inventory.js';
import type { LayerCacheStore } from './layer-cache.js';
import type { WalkLimits } from '../layers/index.js';
import { openSource } from './open.js';

export { applyGate, type GateOptions, type GateResult } from './gate.js';
export { loadVex, parseVex, VexError, type VexErrorCode, type VexStatement } from './vex.js';

export type ScanErrorCode = 'DB_MISSING' | 'TARGET_INVALID' | 'EXPLOIT_DATA_MISSING';
export class ScanError extends PortcullisError<ScanErrorCode> {}

export type ScanTarget =
  | { readonly kind: 'image'; readonly name: string; readonly context?: SystemContext; readonly platform?: Platform }
  /** An already open source (the registry's scan worker reads its own storage); the caller closes it. */
  | { readonly kind: 'source'; readonly name: string; readonly source: ImageSource; readonly platform?: Platform }
  | { readonly kind: 'sbom'; readonly path: string }
  /** An inventory taken before (no image I/O); `image` as that scan's result described it. */
  | { readonly kind: 'inventory'; readonly name: string; readonly inventory: Inventory; readonly image?: ScanResult['image'] }
  | { readonly kind: 'rootfs'; readonly path: string };

export interface ScanOptions extends GateOptions {
  /** Advisory database (default `defaultDbPath()`). */
  readonly dbPath?: string;
  /** An open store to use instead of `dbPath` (tests, the registry's scan worker). */
  readonly store?: MatchStore;
  /** Warn when the newest import is older than this many days (default 7). */
  readonly maxAgeDays?: number;
  /** Refuse targets that need the network (registry images). */
  readonly offline?: boolean;
  readonly signal?: AbortSignal;
  readonly now?: Date;
  /** `--severity-source`, parsed: the order of rating sources (default: the distributor first, docs/scan.md). */
  readonly severityOrder?: readonly string[];
  /** The cataloguers for image and rootfs targets (default: all of them). */
  readonly catalogers?: readonly Cataloger[];
  /** For image and source targets: layers seen before are replayed from it, not read (layer-cache.ts). */
  readonly layerCache?: LayerCacheStore;
  /** Told each time a layer's blob is opened to be read (tests count reads). */
  readonly onLayerRead?: (origin: LayerOrigin) => void;
  /** Caps on the layers and tar entries an image's walk reads (default: from the environment, inventory.ts `walkLimitsFrom`). */
  readonly limits?: WalkLimits;
  /** What raises each cap, named in the incomplete reason (default: the environment variables). */
  readonly limitNames?: WalkLimitNames;
}

export interface ScanOutcome {
  readonly result: ScanResult;
  readonly gate: GateResult;
  /** What was matched (for an image: what its layers hold), to keep and match again later (the registry's UI lists it too). */
  readonly inventory: Inventory;
}

/** The image history command of each non-empty layer, by layer index. */
export function layerCommands(image: ResolvedImage): string[] {
  const history = image.config?.history ?? [];
  const out: string[] = [];
  for (const h of history) if (!h.empty_layer) out.push(h.created_by ?? '');
  return out;
}

function countByCataloger(inventory: Inventory): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const p of inventory.packages) counts[p.foundBy] = (counts[p.foundBy] ?? 0) + 1;
  return counts;
}

/** 1 → "24h", 7 → "7d", 0.5 → "12h": a maximum age in days as the flags spell it. */
function ageWords(days: number): string {
  return Number.isInteger(days) && days !== 1 ? `${days}d` : `${Math.round(days * 24 * 100) / 100}h`;
}

/** Refuses a KEV or EPSS gate when the database has no such data: an empty table would pass every image. */
async function requireExploitData(store: MatchStore, options: ScanOptions): Promise<void> {
  if (!options.kev && options.epssThreshold === undefined) return;
  const info = (await store.exploitation?.().info()) ?? {};
  const missing: string[] = [];
  if (options.kev && !info.kev) missing.push('CISA KEV data (--kev)');
  if (options.epssThreshold !== undefined && !info.epss?.scores) missing.push('EPSS scores (--epss-threshold)');
  if (missing.length === 0) return;
  throw new ScanError(
    'EXPLOIT_DATA_MISSING',
    `the advisory database has no ${missing.join(' and no ')}, so the gate cannot be applied: run "portcullis db update --feeds kev,epss" (offline: "portcullis db import known_exploited_vulnerabilities.json epss_scores-YYYY-MM-DD.csv.gz")`,
  );
}

const MISSING_DB_HELP = 'run "portcullis db update" (or, offline, "portcullis db import PATH…" or "portcullis db pull REF")';

/** The image part of a ScanResult: digests, platform, and each layer's creating command. */
function describeImage(img: ResolvedImage, commands: readonly string[]): NonNullable<ScanResult['image']> {
  return {
    digest: img.manifestBlob.digest,
    configDigest: img.manifest.config.digest,
    ...(img.platform ? { platform: formatPlatform(img.platform) } : {}),
    ...(img.config?.created ? { created: img.config.created } : {}),
    layers: img.manifest.layers.map((l, i) => {
      const diffId = img.config?.rootfs.diff_ids[i];
      const createdBy = commands[i];
      return { digest: l.digest, ...(diffId ? { diffId } : {}), ...(createdBy ? { createdBy } : {}) };
    }),
  };
}

export async function scanTarget(target: ScanTarget, options: ScanOptions = {}): Promise<ScanOutcome> {
  const now = options.now ?? new Date();
  const warnings: string[] = [];
  const dbPath = options.dbPath ?? defaultDbPath();
  let database: ScanResult['database'];
  let store = options.store;
  let owned: AdvisoryReader | undefined;
  if (!store) {
    if (!advisoryStoreReadable(dbPath)) throw new ScanError('DB_MISSING', `no advisory database at ${describeLocation(dbPath)}: ${MISSING_DB_HELP}`);
    const status = await dbStatus(dbPath, { maxAgeDays: options.maxAgeDays ?? 7, now });
    if (status.advisories === 0) throw new ScanError('DB_MISSING', `the advisory database at ${describeLocation(dbPath)} is empty: ${MISSING_DB_HELP}`);
    if (status.stale) {
      warnings.push(
        `the advisory database was last updated ${status.lastUpdate ?? 'never'} (older than ${ageWords(options.maxAgeDays ?? 7)}): run "portcullis db update"`,
      );
    }
    database = { path: describeLocation(dbPath), ...(status.lastUpdate ? { updatedAt: status.lastUpdate } : {}), sources: status.sources.map((s) => s.feed) };
    owned = await openAdvisoryReader(dbPath);
    store = owned;
  }
  try {
    // Exploitation data sits beside the advisories (SQLite or PostgreSQL); a gate that needs it fails closed without it (or a store that keeps none).
    await requireExploitData(store, options);
    let inventory: Inventory;
    let image: ScanResult['image'];
    let commands: string[] = [];
    let name: string;
    if (target.kind === 'image' || target.kind === 'source') {
      name = target.name;
      let source: ImageSource;
      if (target.kind === 'image') {
        if (options.offline && defaultTransports().parse(target.name).transport.name === 'docker') {
          throw new ScanError('TARGET_INVALID', `--offline: ${target.name} is a registry image; scan a local oci:, oci-archive: or docker-archive: copy instead`);
        }
        source = await openSource(target.name, target.context ?? {});
      } else {
        source = target.source;
      }
      let inv;
      try {
        inv = await inventoryImage(source, {
          ...(target.platform ? { platform: target.platform } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
          ...(options.catalogers ? { catalogers: options.catalogers } : {}),
          ...(options.layerCache ? { layerCache: options.layerCache } : {}),
          ...(options.onLayerRead ? { onLayerRead: options.onLayerRead } : {}),
          ...(options.limits ? { limits: options.limits } : {}),
          ...(options.limitNames ? { limitNames: options.limitNames } : {}),
        });
      } finally {
        if (target.kind === 'image') await source.close();
      }
      inventory = inv.inventory;
      commands = layerCommands(inv.image);
      image = describeImage(inv.image, commands);
    } else if (target.kind === 'inventory') {
      name = target.name;
      inventory = target.inventory;
      image = target.image;
      commands = (target.image?.layers ?? []).map((l) => l.createdBy ?? '');
    } else if (target.kind === 'sbom') {
      name = target.path;
      const decoded = await decodeSbomFile(target.path);
      inventory = decoded.inventory;
      if (decoded.image?.digest) image = { digest: decoded.image.digest, ...(decoded.image.configDigest ? { configDigest: decoded.image.configDigest } : {}) };
    } else {
      name = target.path;
      inventory = await inventoryRootfs(target.path, { ...(options.signal ? { signal: options.signal } : {}), ...(options.catalogers ? { catalogers: options.catalogers } : {}) });
    }
    appendAll(warnings, inventory.warnings);
    const incomplete = [...(inventory.incomplete ?? [])];
    // Matching, the alias ratings and KEV/EPSS read one state of the database (store.ts `readSnapshot`):
    // an import committing meanwhile is seen by the next scan, never by half of this one.
    const annotated = await inSnapshot(store, async (reader) => {
      const findings: Finding[] = await matchInventory(inventory, reader, {
        onWarning: (w) => warnings.push(`match: ${w}`),
        onIncomplete: (reason) => incomplete.push(`match: ${reason}`),
        layerCreatedBy: (layer: LayerOrigin) => commands[layer.index] || undefined,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      // Beside the findings, after matching: ratings of CVE/GHSA aliases, the chosen rating, KEV and EPSS.
      const rerated = await rerateFindings(findings, reader, {
        ...(options.severityOrder ? { order: options.severityOrder } : {}),
        isDistribution: (f) => LANGUAGE_ECOSYSTEMS[f.package.ecosystem] === undefined,
      });
      const exploitation = reader.exploitation?.();
      return (exploitation ? annotateExploitation(rerated.findings, await exploitation.lookup(cvesOf(rerated.findings))) : rerated.findings).sort(compareFindings);
    });
    const gate = applyGate(annotated, { ...options, now });
    appendAll(warnings, gate.warnings);
    const os = inventory.os;
    const result: ScanResult = {
      schemaVersion: 1,
      target: name,
      ...(image ? { image } : {}),
      ...(os ? { os: { id: os.id, ...(os.versionId ? { versionId: os.versionId } : {}), ...(os.prettyName ? { prettyName: os.prettyName } : {}) } } : {}),
      packageCounts: countByCataloger(inventory),
      findings: gate.findings,
      ...(database ? { database } : {}),
      warnings,
      ...(incomplete.length > 0 ? { incomplete } : {}),
      scannedAt: now.toISOString(),
    };
    return { result, gate, inventory };
  } finally {
    await owned?.close();
  }
}

