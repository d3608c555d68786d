import { type Inventory, type Package, plural } from '../../core/index.js';
import { inventoryImage } from '../../engine/inventory.js';
import { cliLayerCache } from '../../engine/layer-cache.js';
import { openSource } from '../../engine/index.js';
import { formatPlatform } from '../../image/index.js';
import { type SbomImage, toCycloneDxJson, toInventoryJson, toSpdxJson } from '../../sbom/index.js';
import { systemContext, type RegistryFlags } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { colorEnabled, painter, renderTable, TransferProgress, type OutputStreams } from '../output.js';
import { incompleteExit } from './incomplete.js';
import { parseFormat, writeOutputFile } from './shared.js';
import { WALK_CAP_NAMES, walkCapsOf, type WalkCapFlags } from './walk-caps.js';

export interface SbomOptions extends RegistryFlags, WalkCapFlags {
  format?: string;
  output?: string;
  quiet?: boolean;
  allowIncomplete?: boolean;
}

const FORMATS = ['table', 'json', 'cyclonedx', 'spdx'] as const;

export async function sbom(name: string, options: SbomOptions, io: OutputStreams): Promise<number> {
  const format = parseFormat(options.format, FORMATS, 'table');
  const limits = walkCapsOf(options, io.env);
  const context = systemContext(options, io);
  const progress = new TransferProgress(io.stderr, !options.quiet);
  context.onProgress = progress.onProgress;
  const source = await openSource(name, context);
  let result;
  try {
    // The same per-layer analysis cache as scan: an SBOM of an image already scanned (or sharing its base) reads no shared layer.
    const layerCache = cliLayerCache(context);
    result = await inventoryImage(source, { ...(context.platform ? { platform: context.platform } : {}), ...(layerCache ? { layerCache } : {}), limits, limitNames: WALK_CAP_NAMES });
  } finally {
    progress.stop();
    await source.close();
  }
  const { image, inventory } = result;
  const described: SbomImage = {
    name,
    digest: image.manifestBlob.digest,
    configDigest: image.manifest.config.digest,
    ...(image.platform ? { platform: image.platform } : {}),
  };
  const text =
    format === 'cyclonedx'
      ? toCycloneDxJson(inventory, { image: described })
      : format === 'spdx'
        ? toSpdxJson(inventory, { image: described })
        : format === 'json'
          ? toInventoryJson(inventory, { image: described })
          : renderPackages(inventory, described, colorEnabled(options.output ? {} : io.stdout, io.env));
  if (options.output) await writeOutputFile(options.output, text.endsWith('\n') ? text : `${text}\n`, { human: format === 'table' });
  else io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  if (!options.quiet) for (const warning of inventory.warnings) io.stderr.write(`portcullis: warning: ${warning}\n`);
  return incompleteExit(inventory.incomplete, 'inventory', options, io) ?? ExitCode.Ok;
}

function renderPackages(inventory: Inventory, image: SbomImage, color: boolean): string {
  const paint = painter(color);
  const os = inventory.os ? `${inventory.os.prettyName ?? `${inventory.os.id} ${inventory.os.versionId ?? ''}`}` : 'unknown OS';
  const incomplete = inventory.incomplete?.length ? `\n${paint('red', 'INCOMPLETE: packages may be missing')} (${plural(inventory.incomplete.length, 'reason')}, on stderr)` : '';
  const header = `${paint('bold', image.name)} ${image.digest ?? ''}\n${os}${image.platform ? `, ${formatPlatform(image.platform)}` : ''}; ${plural(inventory.packages.length, 'package')}${incomplete}\n\n`;
  const rows = [...inventory.packages]
    .sort((a, b) => a.foundBy.localeCompare(b.foundBy) || a.name.localeCompare(b.name) || a.version.localeCompare(b.version))
    .map((p: Package) => [p.name, p.version, p.foundBy, p.layer ? String(p.layer.index) : '-', p.path]);
  return header + renderTable(['NAME', 'VERSION', 'TYPE', 'LAYER', 'FOUND AT'], rows, paint);
}

