import { PortcullisError } from '../../core/errors.js';

export type DbErrorCode = 'UPDATE_FAILED' | 'INPUT_MISSING' | 'ABORTED';
export class DbError extends PortcullisError<DbErrorCode> {}
