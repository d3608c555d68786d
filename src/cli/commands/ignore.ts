import { ignoreToOpenVex, loadIgnoreFile } from '../../engine/ignore.js';
import { ExitCode } from '../exit-codes.js';
import type { OutputStreams } from '../output.js';
import { parseFormat, writeOutputFile } from './shared.js';

export interface IgnoreExportOptions {
  ignorefile?: string;
  format?: string;
  output?: string;
  author?: string;
  product?: string;
  includeExpired?: boolean;
}

export async function ignoreExport(options: IgnoreExportOptions, io: OutputStreams): Promise<number> {
  parseFormat(options.format, ['openvex'] as const, 'openvex');
  const file = await loadIgnoreFile(options.ignorefile ?? '.portcullisignore');
  const doc = ignoreToOpenVex(file, {
    ...(options.author ? { author: options.author } : {}),
    ...(options.product ? { product: options.product } : {}),
    ...(options.includeExpired ? { skipExpired: false } : {}),
  });
  const text = `${JSON.stringify(doc, null, 2)}\n`;
  if (options.output) await writeOutputFile(options.output, text);
  else io.stdout.write(text);
  return ExitCode.Ok;
}
