/**
 * Error answers as notary-server writes them (notary `server/errors/errors.go`):
 * `{"errors":[{"code":"METADATA_NOT_FOUND","message":"…","detail":…}]}` with
 * the same codes, messages and statuses, so the notary CLI reports them as it
 * does for the real server.
 */
import type { TufResponse } from '../services.js';

export type NotaryWireCode =
  | 'NO_FILENAME'
  | 'INVALID_ROLE'
  | 'MALFORMED_JSON'
  | 'UPDATING'
  | 'VERSION'
  | 'METADATA_NOT_FOUND'
  | 'INVALID_UPDATE'
  | 'MALFORMED_UPLOAD'
  | 'GENERIC_NOT_FOUND'
  | 'INVALID_GUN';

const ANSWERS: Record<NotaryWireCode, { status: number; message: string }> = {
  NO_FILENAME: { status: 400, message: 'No file/role name provided.' },
  INVALID_ROLE: { status: 400, message: 'The role you are attempting to operate on is invalid.' },
  MALFORMED_JSON: { status: 400, message: 'JSON sent by the client could not be parsed by the server' },
  UPDATING: { status: 500, message: 'An error has occurred while updating the TUF repository.' },
  VERSION: { status: 400, message: 'A newer version of metadata is already available.' },
  METADATA_NOT_FOUND: { status: 404, message: 'You have requested metadata that does not exist.' },
  INVALID_UPDATE: { status: 400, message: 'Update sent by the client is invalid.' },
  MALFORMED_UPLOAD: { status: 400, message: 'The body of your request is malformed.' },
  GENERIC_NOT_FOUND: { status: 404, message: 'You have requested a resource that does not exist.' },
  INVALID_GUN: { status: 400, message: 'The server does not support actions on images of this name.' },
};

/** A refusal on its way to becoming a response; `detail` is what notary puts in `detail`. */
export class NotaryServerError extends Error {
  constructor(
    readonly code: NotaryWireCode,
    readonly detail: unknown = {},
  ) {
    super(`${code}: ${ANSWERS[code].message}`);
  }
}

export function errorResponse(code: NotaryWireCode, detail: unknown = {}): TufResponse {
  const { status, message } = ANSWERS[code];
  return { status, contentType: 'application/json; charset=utf-8', body: JSON.stringify({ errors: [{ code, message, detail }] }) };
}

/** What notary's validation errors serialise to in `detail`: `{"Name": "ErrBadRoot", "Error": {"Msg": "…"}}`-like. */
export function invalidUpdate(kind: 'ErrValidation' | 'ErrBadRoot' | 'ErrBadTargets' | 'ErrBadSnapshot' | 'ErrBadHierarchy', msg: string): NotaryServerError {
  return new NotaryServerError('INVALID_UPDATE', { Name: kind, Error: { Msg: msg } });
}
