/**
 * The `cat` use case: one file of an image's merged filesystem, read by
 * streaming the layers (nothing extracted), following symlinks inside the
 * image root only, and refusing files over the size cap.
 */
import type { ImageFile } from '../core/index.js';
import { PortcullisError } from '../core/errors.js';
import { resolveImage, type ResolveOptions, type ImageSource } from '../image/index.js';
import { normaliseEntryPath, selectPaths, walkLayers } from '../layers/index.js';
import { layerInputs } from './layer-inputs.js';

export type ReadFileErrorCode = 'FILE_NOT_FOUND' | 'NOT_A_FILE';
export class ReadFileError extends PortcullisError<ReadFileErrorCode> {}

export interface ReadFileOptions extends ResolveOptions {
  /** Largest file returned, in bytes; larger ones fail with LAYER_FILE_TOO_LARGE. */
  maxBytes: number;
}

export async function readImageFile(source: ImageSource, path: string, options: ReadFileOptions): Promise<ImageFile & { content: Buffer }> {
  const wanted = normaliseEntryPath(path.replace(/^\/+/, ''), `path ${path}`);
  const image = await resolveImage(source, options);
  const view = await walkLayers(layerInputs(image), selectPaths({ paths: [wanted] }), { maxFileBytes: options.maxBytes, onOversize: 'error' });
  const file = view.get(wanted); // throws LAYER_SYMLINK_LOOP for a loop
  if (!file) throw new ReadFileError('FILE_NOT_FOUND', `/${wanted} does not exist in the image`);
  if (file.kind === 'directory' || file.content === undefined) {
    throw new ReadFileError('NOT_A_FILE', `/${wanted} is a ${file.kind}, not a regular file`);
  }
  return { ...file, content: file.content };
}
