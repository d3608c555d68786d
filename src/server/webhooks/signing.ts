/**
 * The signature of a webhook body, GitHub's convention: the header
 * `X-Portcullis-Signature-256: sha256=<hex>` where `<hex>` is HMAC-SHA256 of
 * the raw body bytes under the webhook's secret. A receiver recomputes it over
 * the bytes it received (before parsing them) and compares in constant time;
 * `verifyWebhookSignature` is that check, for tests and for receivers written
 * in TypeScript (docs/serve.md shows it in shell and Python too).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Portcullis-Signature-256';
export const EVENT_HEADER = 'X-Portcullis-Event';
export const DELIVERY_HEADER = 'X-Portcullis-Delivery';

export function signWebhookBody(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** True when `header` is the signature of `body` under `secret` (constant time in the signature's bytes). */
export function verifyWebhookSignature(secret: string, body: Buffer | string, header: string | undefined): boolean {
  if (header === undefined || !/^sha256=[0-9a-f]{64}$/.test(header)) return false;
  const expected = Buffer.from(signWebhookBody(secret, body), 'latin1');
  const given = Buffer.from(header, 'latin1');
  return expected.length === given.length && timingSafeEqual(expected, given);
}
