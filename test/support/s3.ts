/**
 * A real S3 API for tests: OpenStack Swift with its s3api middleware, started
 * by ../shared/peers/s3.sh on loopback (Debian has no MinIO; Swift's s3api is
 * a real S3 implementation, SigV4 and multipart included). Each test file
 * starts its own Swift on free ports so files can run in parallel, and each
 * run gets its own bucket. `PORTCULLIS_TEST_S3_ENDPOINT` (with
 * `PORTCULLIS_TEST_S3_ACCESS_KEY`/`_SECRET_KEY`/`_REGION`) reuses a server
 * that is already running instead.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createS3Client, type S3Connection } from '../../src/server/storage/s3-client.js';
import { PEERS } from './paths.js';
import { freePort, parseKeyValues } from './peers.js';

const run = promisify(execFile);

export interface S3Peer {
  readonly connection: Required<Pick<S3Connection, 'endpoint' | 'forcePathStyle'>> & S3Connection;
  /** A bucket created for this run. */
  readonly bucket: string;
  /** Every key in the bucket (under `prefix`), for "nothing left behind" checks. */
  keys(prefix?: string): Promise<string[]>;
  /** Empties and deletes the bucket, then stops Swift if this peer started it. */
  stop(): Promise<void>;
}

/** s3.sh uses PORT for the proxy and PORT+10..+12 for Swift's back ends: all four must be free. */
async function freeSwiftPort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await freePort();
    if (port + 12 > 65535) continue;
    const others = await Promise.all([10, 11, 12].map((d) => isFree(port + d)));
    if (others.every(Boolean)) return port;
  }
  throw new Error('no free port block for Swift');
}

async function isFree(port: number): Promise<boolean> {
  const { createServer } = await import('node:net');
  return new Promise((resolveFree) => {
    const server = createServer();
    server.once('error', () => resolveFree(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolveFree(true)));
  });
}

export async function startS3(): Promise<S3Peer> {
  let stopServer = async (): Promise<void> => undefined;
  let kv: Record<string, string>;
  if (process.env.PORTCULLIS_TEST_S3_ENDPOINT) {
    kv = {
      S3_ENDPOINT: process.env.PORTCULLIS_TEST_S3_ENDPOINT,
      S3_ACCESS_KEY: process.env.PORTCULLIS_TEST_S3_ACCESS_KEY ?? 'test:tester',
      S3_SECRET_KEY: process.env.PORTCULLIS_TEST_S3_SECRET_KEY ?? 'testing',
      S3_REGION: process.env.PORTCULLIS_TEST_S3_REGION ?? 'us-east-1',
    };
  } else {
    const env = { ...process.env, S3_PORT: String(await freeSwiftPort()) };
    const script = join(PEERS, 's3.sh');
    const { stdout } = await run('bash', [script, 'start'], { env, maxBuffer: 1 << 20, timeout: 600_000 });
    kv = parseKeyValues(stdout);
    stopServer = async () => {
      await run('bash', [script, 'stop'], { env });
    };
  }
  const connection = {
    endpoint: kv.S3_ENDPOINT ?? '',
    region: kv.S3_REGION ?? 'us-east-1',
    accessKeyId: kv.S3_ACCESS_KEY ?? '',
    secretAccessKey: kv.S3_SECRET_KEY ?? '',
    forcePathStyle: true,
  };
  const client = createS3Client(connection);
  const bucket = `portcullis-test-${randomBytes(6).toString('hex')}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  const keys = async (prefix = ''): Promise<string[]> => {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}) }));
      for (const object of page.Contents ?? []) if (object.Key) out.push(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  };
  return {
    connection,
    bucket,
    keys,
    stop: async () => {
      try {
        const all = await keys();
        for (let i = 0; i < all.length; i += 1000) {
          await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: all.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true } }));
        }
        await client.send(new DeleteBucketCommand({ Bucket: bucket }));
      } catch (error) {
        // A Swift we started is wiped by its stop anyway; a shared server must be left clean.
        if (process.env.PORTCULLIS_TEST_S3_ENDPOINT) throw error;
      } finally {
        client.destroy();
        await stopServer();
      }
    },
  };
}
