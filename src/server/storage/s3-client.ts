/**
 * Talking to S3-compatible servers, apart from what the registry stores there:
 * one place builds the client with the settings that make AWS, Swift's s3api,
 * MinIO and Ceph behave alike, and one place turns an S3 failure into a
 * ServeError whose message names the S3 code and the likely mistake — never
 * a credential.
 *
 * Why the compatibility settings: SDK v3 (since early 2025) sends CRC32
 * checksum trailers by default, which servers other than AWS often reject,
 * and it no longer sends Content-MD5 on multi-object delete, which S3 and
 * Swift require (`InvalidRequest: Missing required header … Content-MD5`).
 */
import { createHash } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { ServeError } from '../errors.js';

export interface S3Connection {
  /** e.g. `http://127.0.0.1:9000`; omitted for AWS itself. */
  readonly endpoint?: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Path-style URLs (`endpoint/bucket/key`): what most S3-compatible servers need. */
  readonly forcePathStyle?: boolean;
}

export function createS3Client(connection: S3Connection): S3Client {
  const client = new S3Client({
    ...(connection.endpoint === undefined ? {} : { endpoint: connection.endpoint }),
    region: connection.region,
    forcePathStyle: connection.forcePathStyle ?? false,
    credentials: { accessKeyId: connection.accessKeyId, secretAccessKey: connection.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { connectionTimeout: 10_000 },
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = args.request as { headers?: Record<string, string>; body?: unknown };
      if (context.commandName === 'DeleteObjectsCommand' && request.headers && typeof request.body === 'string') {
        request.headers['content-md5'] = createHash('md5').update(request.body).digest('base64');
      }
      return next(args);
    },
    { step: 'build', name: 'portcullisContentMd5' },
  );
  return client;
}

/**
 * Runs one S3 request; any failure becomes a ServeError: RANGE_INVALID for
 * S3's InvalidRange, otherwise INTERNAL naming `what` (e.g. "GetObject of k in
 * bucket b") and the S3 code. The SDK error is kept as the cause.
 */
export async function s3Call<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ServeError) throw error;
    if (s3ErrorName(error) === 'InvalidRange') throw new ServeError('RANGE_INVALID', `S3 ${what}: range not satisfiable`, { cause: error });
    throw new ServeError('INTERNAL', `S3 ${what} failed: ${describeS3Error(error)}`, { cause: error });
  }
}

/** `s3Call`, but a missing key (NoSuchKey, or a HEAD's bare 404) is `undefined`. NoSuchBucket stays an error. */
export async function s3CallOrMissing<T>(what: string, run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await s3Call(what, run);
  } catch (error) {
    const name = s3ErrorName((error as { cause?: unknown }).cause);
    if (name === 'NoSuchKey' || name === 'NotFound') return undefined;
    throw error;
  }
}

function s3ErrorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? (error as { name?: string }).name : undefined;
}

/** The S3 error code and HTTP status, with a hint for the usual configuration mistakes. */
export function describeS3Error(error: unknown): string {
  const e = error as { name?: string; Code?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const named = e.Code ?? e.code ?? e.name;
  // A HEAD answer has no body, hence no code: only the status.
  const code = named === undefined || named === 'Unknown' || named === 'UnknownError' ? 'no error code' : named;
  const hint = HINTS[code] ?? (status === 403 ? 'access denied: check the access key, secret and bucket permissions' : undefined);
  return `${code}${status === undefined ? '' : ` (HTTP ${status})`}${hint ? ` — ${hint}` : ''}`;
}

const HINTS: Record<string, string> = {
  SignatureDoesNotMatch: 'the secret access key is wrong',
  InvalidAccessKeyId: 'the access key id is not known',
  AccessDenied: 'the credentials may not use this bucket',
  NoSuchBucket: 'create the bucket first',
  ECONNREFUSED: 'nothing listens at the endpoint',
};
