import { formatPlatform } from '../../image/index.js';
import { inspectImage, type InspectReport, openSource } from '../../engine/index.js';
import { systemContext, type RegistryFlags } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { escapeCell } from '../../report/terminal.js';
import { colorEnabled, formatBytes, painter, renderTable, TransferProgress, writeJson, type OutputStreams } from '../output.js';
import { parseDigestFlag, parseFormat } from './shared.js';

export interface InspectOptions extends RegistryFlags {
  format?: string;
  verifyLayers?: boolean;
  instance?: string;
  quiet?: boolean;
}

export async function inspect(image: string, options: InspectOptions, io: OutputStreams): Promise<number> {
  const format = parseFormat(options.format, ['table', 'json'] as const, 'table');
  const context = systemContext(options, io);
  const progress = new TransferProgress(io.stderr, !options.quiet);
  context.onProgress = progress.onProgress;
  const source = await openSource(image, context);
  let report: InspectReport;
  try {
    report = await inspectImage(source, image, {
      verifyLayers: options.verifyLayers === true,
      ...(context.platform ? { platform: context.platform } : {}),
      ...(options.instance ? { instance: parseDigestFlag(options.instance, 'instance') } : {}),
    });
  } finally {
    progress.stop();
    await source.close();
  }
  if (format === 'json') writeJson(io.stdout, report);
  else io.stdout.write(renderInspect(report, colorEnabled(io.stdout, io.env)));
  return ExitCode.Ok;
}

export function renderInspect(report: InspectReport, color: boolean): string {
  const paint = painter(color);
  const c = report.config;
  const lines: string[] = [];
  const field = (name: string, value: string | undefined): void => {
    // Values come from the image: a newline in a label must not forge a field of its own.
    if (value !== undefined && value !== '') lines.push(`${paint('bold', `${name}:`.padEnd(14))}${escapeCell(value)}`);
  };
  field('Reference', report.reference);
  field('Digest', report.digest);
  field('Media type', report.mediaType);
  if (report.index) field('Index', `${report.index.digest} (${report.index.platforms.join(', ')})`);
  field('Platform', report.platform ? formatPlatform(report.platform) : undefined);
  field('Created', report.created);
  field('Author', report.author);
  field('User', c.user ?? paint('yellow', '(root)'));
  field('Entrypoint', c.entrypoint ? JSON.stringify(c.entrypoint) : undefined);
  field('Cmd', c.cmd ? JSON.stringify(c.cmd) : undefined);
  field('Working dir', c.workingDir);
  field('Env', c.env.length ? c.env.join(', ') : undefined);
  field('Ports', c.exposedPorts.length ? c.exposedPorts.join(', ') : undefined);
  field('Volumes', c.volumes.length ? c.volumes.join(', ') : undefined);
  for (const [key, value] of Object.entries(c.labels)) field('Label', `${key}=${value}`);
  const size = report.uncompressedSize !== undefined ? `${formatBytes(report.size)} (${formatBytes(report.uncompressedSize)} uncompressed)` : formatBytes(report.size);
  field('Size', size);
  lines.push('');
  const measured = report.layers.some((layer) => layer.uncompressedSize !== undefined);
  const rows = report.layers.map((layer, i) => [
    String(i),
    layer.digest.slice(0, 19),
    formatBytes(layer.size),
    ...(measured ? [layer.uncompressedSize !== undefined ? formatBytes(layer.uncompressedSize) : '-'] : []),
    shorten(layer.createdBy ?? '', 70),
  ]);
  // Uncompressed sizes exist only with --verify-layers: without them the column is left out, not filled with dashes.
  return `${lines.join('\n')}\n${renderTable(['#', 'LAYER', 'SIZE', ...(measured ? ['UNCOMPRESSED'] : []), 'CREATED BY'], rows, paint)}`;
}

function shorten(text: string, max: number): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}
