/**
 * The language cataloguers' error: thrown inside parsers for damaged input
 * and turned into a warning naming the file by the cataloguer (never out of
 * `catalog`). Tests assert the code.
 */
import { PortcullisError } from '../../core/errors.js';

export type LangCatalogErrorCode =
  /** Not an ELF file, or its headers point outside the file. */
  | 'ELF_INVALID'
  /** A Go build-info blob that is truncated or points outside the binary. */
  | 'GO_BUILDINFO_INVALID'
  /** A zip archive that cannot be read (bad signature, central directory, compression). */
  | 'ZIP_INVALID'
  /** An archive over the nesting, entry-count or uncompressed-size caps. */
  | 'ZIP_LIMIT'
  /** A cargo-auditable `.dep-v0` section that is not zlib-compressed JSON of the expected shape. */
  | 'CARGO_AUDIT_INVALID';

export class LangCatalogError extends PortcullisError<LangCatalogErrorCode> {}
