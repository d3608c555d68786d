/**
 * Our native inventory JSON (json.ts reads it) → DecodedSbom; its packages
 * carry full layers, re-checked against the image's when the caller gives them.
 */
import { readNativeDocument } from '../json.js';
import { type Context, finish } from './context.js';
import type { DecodedSbom } from './options.js';
import { appendAll } from '../../core/index.js';

export function decodeNative(root: Record<string, unknown>, ctx: Context): DecodedSbom {
  const native = readNativeDocument(root, ctx.maxComponents);
  appendAll(ctx.warnings, native.warnings);
  appendAll(ctx.incomplete, native.incomplete);
  const packages = native.packages.map((p) => ctx.placeLayer(p));
  return finish('portcullis-json', '1', 'portcullis', native.image, native.os, packages, ctx);
}
