import { PortcullisError } from '../../core/errors.js';

/**
 * Refusals of publishing a tag to Notary (publish.ts) that are neither TUF
 * verdicts (TufError), transport failures (HttpError) nor key-store errors
 * (KeyError). Apart from errors.ts so the reading client keeps its own list.
 */
export type NotaryPublishErrorCode =
  /** The GUN is initialised on the server with a root that is not our root key: never published over. */
  | 'GUN_FOREIGN_ROOT'
  /** The GUN's targets role is not our repository key: we cannot sign its targets. */
  | 'TARGETS_KEY_FOREIGN'
  /** The server has no trust data for a GUN whose root we trusted before: not initialised anew. */
  | 'TRUST_DATA_MISSING'
  /** The server's timestamp or snapshot key (`GET …/<role>.key`) is not a key we can list in root.json. */
  | 'SERVER_KEY_INVALID'
  /** The server answered the multipart update with an error (notary's `{"errors":[…]}`). */
  | 'PUBLISH_REFUSED'
  /** After publishing, the server does not serve the tag as signed. */
  | 'PUBLISH_NOT_VISIBLE'
  /** The repository key may not sign for this repository (not certified, revoked, expired). */
  | 'KEY_NOT_AUTHORIZED'
  /** Notary root keys are ECDSA or RSA certificates: an Ed25519 root key cannot be one. */
  | 'ROOT_KEY_UNSUPPORTED'
  /** Notary targets are tags: an image named by digest alone has none. */
  | 'TAG_REQUIRED'
  /** `--notary-server` or a *_CONTENT_TRUST_SERVER variable that is not an http(s) URL. */
  | 'NOTARY_SERVER_INVALID';

export class NotaryPublishError extends PortcullisError<NotaryPublishErrorCode> {}
