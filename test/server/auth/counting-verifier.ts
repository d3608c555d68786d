/**
 * A password verifier for tests of the login limits: it forwards to a real
 * one and counts the checks it was asked for, so a test can prove that a
 * refused login cost no password check at all.
 */
import type { PasswordVerifier } from '../../../src/server/auth/password-pool.js';

export class CountingVerifier implements PasswordVerifier {
  checks = 0;
  constructor(private readonly inner: PasswordVerifier) {}
  async verify(password: string, hash: string): Promise<boolean> {
    this.checks++;
    return this.inner.verify(password, hash);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
