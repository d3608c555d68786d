import { PortcullisError } from '../../core/errors.js';

export type DbErrorCode = 'UPDATE_FAILED' | 'INPUT_MISSING' | 'ABORTED' | 'FEED_INVALID';
export class DbError extends PortcullisError<DbErrorCode> {}
