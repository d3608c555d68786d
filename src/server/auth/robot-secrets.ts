/**
 * Robot secrets: 32 random bytes (256 bits) shown once as base64url, stored
 * as HMAC-SHA-256 under a random per-robot salt (the HMAC key), compared in
 * constant time.
 *
 * Why a fast keyed hash is enough here, when passwords need argon2id: a slow
 * hash only protects secrets that can be guessed. A password is chosen by a
 * person from a space small enough to search, so each guess must be made
 * expensive. A robot secret is drawn uniformly from 2^256 values: at any
 * speed of hashing, finding it from a stolen hash means trying ~2^255 of them,
 * and HMAC-SHA-256 is preimage resistant. The salt keeps equal secrets (there
 * are none, in practice) from having equal hashes and rules out any table
 * computed in advance. Being fast, a check costs microseconds on the event
 * loop and needs no thread; the failed-login limits still apply.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const ROBOT_SECRET_BYTES = 32;

export function newRobotSecret(): string {
  return randomBytes(ROBOT_SECRET_BYTES).toString('base64url');
}

export function newRobotSalt(): string {
  return randomBytes(16).toString('base64url');
}

export function hashRobotSecret(secret: string, salt: string): string {
  return createHmac('sha256', Buffer.from(salt, 'base64url')).update(secret).digest('base64url');
}

export function robotSecretMatches(secret: string, salt: string, storedHash: string): boolean {
  const given = Buffer.from(hashRobotSecret(secret, salt), 'base64url');
  const stored = Buffer.from(storedHash, 'base64url');
  return given.length === stored.length && timingSafeEqual(given, stored);
}
