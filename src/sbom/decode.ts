/**
 * SBOM in: CycloneDX JSON (1.2–1.7; ours, Syft's, Trivy's), SPDX 2.2/2.3
 * JSON, Syft's native JSON and our native inventory JSON (json.ts) →
 * `Inventory`.
 *
 * What is read (details in docs/sbom.md):
 * - packages: every component / package / artifact with a purl of a type we
 *   know (ecosystem from the purl type, and for `deb` the vendor/distro).
 *   Purls are made canonical (purl.ts `canonicalPurl`) so the same package
 *   compares equal whoever wrote it; name and version are taken from the purl
 *   (keeping the document's spelling when it is the same name);
 * - the layer: ours (`portcullis:layer:*`), Syft (`syft:location:0:layerID`,
 *   a diffID; in Syft JSON also the layer list and manifest, so index and
 *   digest), Trivy (`aquasecurity:trivy:LayerDigest` / `LayerDiffID`). A
 *   `LayerOrigin` needs index and digest: pass the image's layers
 *   (`options.layers`) to place packages that name a layer by diffID or
 *   digest only; otherwise the hint is kept as `metadata.layerDiffID` /
 *   `metadata.layerDigest` and one warning says so;
 * - the source package: ours, Trivy `SrcName`/`SrcVersion`/`SrcRelease`/`SrcEpoch`,
 *   Syft's purl `upstream` qualifier or `syft:metadata:source*`, SPDX `sourceInfo`;
 * - the OS: CycloneDX `operating-system` component, SPDX `OPERATING_SYSTEM`
 *   package, Syft `distro`;
 * - dependencies: CycloneDX `dependencies`, SPDX DEPENDS_ON / DEPENDENCY_OF,
 *   Syft `dependency-of` relationships.
 *
 * Hostile input: at most `maxBytes` (256 MiB) are read and at most
 * `maxComponents` (500,000) components looked at (SbomError `TOO_LARGE`);
 * malformed JSON or a wrong shape is `SBOM_INVALID`; an unknown format or
 * version `SBOM_UNSUPPORTED`; an invalid purl is a warning and the component
 * is skipped.
 *
 * This file holds the entry points and format detection; each format's
 * decoder is in decode/ (cyclonedx, spdx, syft-json, native) over the shared
 * per-decode state (context.ts) and Candidate → Package step (package.ts).
 *
 * An entry of `sbom` of its own (docs/architecture.md): `scan --sbom` reads
 * SBOMs; `portcullis sbom`, which only writes them, does not load this.
 */
import type { Readable } from 'node:stream';
import { readAllBounded, isPortcullisError, openRegularFile } from '../core/index.js';
import { SbomError } from './errors.js';
import { isNativeDocument } from './json.js';
import { Context } from './decode/context.js';
import { decodeCycloneDx } from './decode/cyclonedx.js';
import { rec } from './decode/fields.js';
import { decodeNative } from './decode/native.js';
import { DEFAULT_MAX_SBOM_BYTES, type DecodedSbom, type DecodeOptions } from './decode/options.js';
import { decodeSpdx } from './decode/spdx.js';
import { decodeSyft } from './decode/syft-json.js';

export { DEFAULT_MAX_COMPONENTS, DEFAULT_MAX_SBOM_BYTES, type DecodedSbom, type DecodeOptions, type SbomFormat } from './decode/options.js';

/** Decodes an SBOM held in memory. */
export function decodeSbom(input: Uint8Array | string, options: DecodeOptions = {}): DecodedSbom {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_SBOM_BYTES;
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength;
  if (size > maxBytes) throw new SbomError('TOO_LARGE', `SBOM is ${size} bytes, more than the ${maxBytes}-byte limit`);
  let text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const head = text.trimStart().slice(0, 64);
  if (head.startsWith('<')) throw new SbomError('SBOM_UNSUPPORTED', 'XML SBOMs are not supported (CycloneDX and SPDX JSON are)');
  if (/^SPDXVersion:/i.test(head)) throw new SbomError('SBOM_UNSUPPORTED', 'SPDX tag-value is not supported (SPDX JSON is)');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new SbomError('SBOM_INVALID', `SBOM is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return decodeSbomObject(doc, options);
}

/** Decodes an SBOM from a stream, failing as soon as `maxBytes` is passed. */
export async function decodeSbomStream(stream: Readable | AsyncIterable<Uint8Array>, options: DecodeOptions = {}): Promise<DecodedSbom> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_SBOM_BYTES;
  let bytes: Buffer;
  try {
    bytes = await readAllBounded(stream, maxBytes, 'SBOM');
  } catch (error) {
    if (isPortcullisError(error) && error.code === 'TOO_LARGE') throw new SbomError('TOO_LARGE', error.message, { cause: error });
    throw error;
  }
  return decodeSbom(bytes, options);
}

/** Decodes an SBOM file (size checked before reading). */
export async function decodeSbomFile(path: string, options: DecodeOptions = {}): Promise<DecodedSbom> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_SBOM_BYTES;
  // A FIFO or device would block the read forever: refused before the first byte (FILE_NOT_REGULAR).
  const { handle, stats } = await openRegularFile(path);
  if (stats.size > maxBytes) {
    await handle.close();
    throw new SbomError('TOO_LARGE', `${path} is ${stats.size} bytes, more than the ${maxBytes}-byte limit`);
  }
  return decodeSbomStream(handle.createReadStream(), options);
}

/** Decodes an already parsed SBOM document. */
export function decodeSbomObject(doc: unknown, options: DecodeOptions = {}): DecodedSbom {
  const root = rec(doc);
  if (!root) throw new SbomError('SBOM_INVALID', 'SBOM is not a JSON object');
  const ctx = new Context(options);
  if (root.bomFormat === 'CycloneDX') return decodeCycloneDx(root, ctx);
  if (typeof root.spdxVersion === 'string') return decodeSpdx(root, ctx);
  if ('@context' in root && JSON.stringify(root['@context']).includes('spdx')) {
    throw new SbomError('SBOM_UNSUPPORTED', 'SPDX 3 JSON-LD is not supported (SPDX 2.2/2.3 JSON is)');
  }
  if (Array.isArray(root.artifacts) && ('source' in root || 'descriptor' in root || 'schema' in root || 'distro' in root)) return decodeSyft(root, ctx);
  if (isNativeDocument(root)) return decodeNative(root, ctx);
  throw new SbomError('SBOM_UNSUPPORTED', 'not a CycloneDX, SPDX, Syft or portcullis JSON document');
}
