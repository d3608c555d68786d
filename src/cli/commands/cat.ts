import { readImageFile, openSource } from '../../engine/index.js';
import { systemContext, type RegistryFlags } from '../context.js';
import { UsageError } from '../flags.js';
import { ExitCode } from '../exit-codes.js';
import { TransferProgress, type OutputStreams } from '../output.js';

export interface CatOptions extends RegistryFlags {
  maxSize?: string;
  quiet?: boolean;
}

const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

export async function cat(image: string, path: string, options: CatOptions, io: OutputStreams): Promise<number> {
  const maxBytes = options.maxSize === undefined ? DEFAULT_MAX_BYTES : parseSize(options.maxSize);
  const context = systemContext(options, io);
  const progress = new TransferProgress(io.stderr, !options.quiet);
  context.onProgress = progress.onProgress;
  const source = await openSource(image, context);
  try {
    const file = await readImageFile(source, path, { maxBytes, ...(context.platform ? { platform: context.platform } : {}) });
    progress.stop();
    io.stdout.write(file.content);
  } finally {
    progress.stop();
    await source.close();
  }
  return ExitCode.Ok;
}

/** `1048576`, `512k`, `16M`, `1G` (binary units). */
export function parseSize(text: string): number {
  const match = /^(\d+)([kmg])?i?b?$/i.exec(text.trim());
  if (!match) throw new UsageError(`--max-size takes a size such as 512k, 16M or 1G, not "${text}"`);
  const units: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
  return Number(match[1]) * (match[2] ? (units[match[2].toLowerCase()] ?? 1) : 1);
}
