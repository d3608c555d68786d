/**
 * How long and how many: the limits that keep one client (or a few thousand
 * slow ones) from taking the registry's sockets, file descriptors and memory.
 * Node's HTTP server enforces the timeouts (headers, whole request, idle,
 * keep-alive); this module adds what it lacks: a cap on connections per
 * client address (refused at accept, before any byte is parsed, so before
 * authentication), and a minimum body rate, so a body trickled at a byte a
 * second is cut after one window instead of holding its slot for the whole
 * request timeout.
 *
 * Defaults, and why:
 * - headers 10 s: a real client sends its request line and headers at once;
 *   slowloris sends them a byte at a time.
 * - idle 60 s: no byte either way for a minute is a dead or stalled peer.
 * - whole request 1 h: a multi-GiB layer over a slow link still fits; the
 *   body-rate floor, not this, is what stops tricklers.
 * - body rate 1 KiB/s over 20 s windows: 50× below a bad mobile link.
 * - 64 connections per address, 4,096 in all: a push runs 3–6 parallel
 *   uploads; 4,096 stays far below the common 20,000 descriptor limit, so the
 *   process keeps descriptors for storage and databases.
 * - keep-alive 5 s and 1,000 requests per connection (Node's and nginx's).
 */
import { Transform, type TransformCallback } from 'node:stream';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionLimits {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly maxRequestsPerConnection: number;
  readonly maxConnectionsPerAddress: number;
  readonly maxConnections: number;
  /** Bodies must bring at least this many bytes per second, measured over `bodyRateWindowMs`; 0 turns the check off. */
  readonly minBodyBytesPerSecond: number;
  readonly bodyRateWindowMs: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 3_600_000,
  idleTimeoutMs: 60_000,
  keepAliveTimeoutMs: 5_000,
  maxRequestsPerConnection: 1_000,
  maxConnectionsPerAddress: 64,
  maxConnections: 4_096,
  minBodyBytesPerSecond: 1_024,
  bodyRateWindowMs: 20_000,
};

/** Options for `http.createServer`/`https.createServer` that Node enforces itself. */
export function nodeServerOptions(limits: ConnectionLimits): { headersTimeout: number; requestTimeout: number; keepAliveTimeout: number; connectionsCheckingInterval: number; maxRequestsPerSocket: number } {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    maxRequestsPerSocket: limits.maxRequestsPerConnection,
    // Node checks header and request deadlines on this period (default 30 s, which would triple a 10 s limit).
    connectionsCheckingInterval: Math.max(250, Math.min(1_000, Math.floor(limits.headersTimeoutMs / 4))),
  };
}

export interface RefusedConnection {
  readonly address: string;
  readonly open: number;
  readonly limit: number;
  readonly reason: 'per-address' | 'total';
}

/**
 * Applies the idle timeout and the connection caps to a server. `onRefused`
 * hears about refusals (at most once a minute per address, so a flood does
 * not flood the log too).
 */
export function guardConnections(server: Server, limits: ConnectionLimits, onRefused: (refused: RefusedConnection) => void): void {
  const open = new Map<string, number>();
  let total = 0;
  const lastReported = new Map<string, number>();
  server.setTimeout(limits.idleTimeoutMs, (socket: Socket) => socket.destroy());
  // `connection` comes before TLS and before any request byte is read.
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const count = open.get(address) ?? 0;
    const reason = count >= limits.maxConnectionsPerAddress ? 'per-address' : total >= limits.maxConnections ? 'total' : undefined;
    if (reason) {
      socket.destroy();
      const now = Date.now();
      if ((lastReported.get(address) ?? 0) < now - 60_000) {
        if (lastReported.size > 10_000) lastReported.clear();
        lastReported.set(address, now);
        onRefused({ address, open: reason === 'total' ? total : count, limit: reason === 'total' ? limits.maxConnections : limits.maxConnectionsPerAddress, reason });
      }
      return;
    }
    open.set(address, count + 1);
    total++;
    socket.once('close', () => {
      total--;
      const left = (open.get(address) ?? 1) - 1;
      if (left <= 0) open.delete(address);
      else open.set(address, left);
    });
  });
}

/** Thrown (as the stream's error) when a body is slower than the floor. */
export class SlowBodyError extends Error {
  readonly code = 'SLOW_BODY';
}

/**
 * A pass-through that errors when fewer than `minBytesPerSecond × window`
 * bytes arrived in a window. Back-pressure is respected: the window only
 * counts while the consumer is asking for data (a slow storage backend is
 * not the client's fault).
 */
export class BodyRateFloor extends Transform {
  #received = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly minBytesPerSecond: number,
    private readonly windowMs: number,
  ) {
    super();
    this.#arm();
  }

  #arm(): void {
    if (this.minBytesPerSecond <= 0) return;
    this.#timer = setTimeout(() => {
      const needed = (this.minBytesPerSecond * this.windowMs) / 1000;
      // Consumer not reading (its buffer is full): the client is not the slow one.
      const consumerBusy = this.readableLength >= this.readableHighWaterMark || this.writableLength >= this.writableHighWaterMark;
      if (this.#received < needed && !consumerBusy) {
        this.destroy(new SlowBodyError(`the request body arrived at ${Math.round((this.#received * 1000) / this.windowMs)} bytes/s, below the ${this.minBytesPerSecond} bytes/s floor`));
        return;
      }
      this.#received = 0;
      this.#arm();
    }, this.windowMs);
    this.#timer.unref();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.#received += chunk.length;
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    this.#stop();
    done();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.#stop();
    done(error);
  }

  #stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
