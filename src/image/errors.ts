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
  | 'ARCHIVE_INVALID';

export class ImageError extends PortcullisError<ImageErrorCode> {}
