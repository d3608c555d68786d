import { PortcullisError } from '../core/errors.js';

/** Failures of image access that are not specific to one registry or file format. */
export type ImageErrorCode =
  | 'TRANSPORT_UNKNOWN'
  | 'REFERENCE_INVALID'
  | 'NOT_FOUND'
  | 'MANIFEST_UNSUPPORTED'
  | 'MANIFEST_INVALID'
  | 'PLATFORM_NOT_FOUND'
  | 'MEDIA_TYPE_UNKNOWN'
  | 'DESTINATION_EXISTS'
  | 'ARCHIVE_INVALID'
  // Local transports and the blob cache (src/image/transports/{oci-layout,oci-archive,docker-archive}, src/image/cache):
  /** The archive ends in the middle of a header or an entry. */
  | 'ARCHIVE_TRUNCATED'
  /** An archive entry or a path named inside it is absolute or climbs out with `..`. */
  | 'UNSAFE_PATH'
  /** Symbolic links inside an archive point at each other (or chain too deep). */
  | 'SYMLINK_LOOP'
  /** The reference names no image and the layout or archive holds several. */
  | 'REFERENCE_AMBIGUOUS'
  /** A name typed without a transport prefix is an existing path that no local transport recognises. */
  | 'PATH_UNRECOGNISED'
  /** Reading or writing a local file failed (permissions, disk full, not a directory…). */
  | 'IO_ERROR';

export class ImageError extends PortcullisError<ImageErrorCode> {}
