/**
 * Passphrases as bytes. A passphrase is never logged, never put in an error
 * message or cause, and never written anywhere; the byte copies made here are
 * zeroed by their users once the KDF has run.
 */
export type Passphrase = string | Uint8Array;

/**
 * The bytes a passphrase stands for. Strings are UTF-8 encoded; with
 * `normalize` (our own key format) they are first put in Unicode NFC so the
 * same passphrase typed on different systems opens the key. Cosign keys use
 * the raw UTF-8 bytes, as cosign does.
 */
export function passphraseBytes(passphrase: Passphrase, options: { normalize?: boolean } = {}): Buffer {
  if (typeof passphrase === 'string') {
    return Buffer.from(options.normalize ? passphrase.normalize('NFC') : passphrase, 'utf8');
  }
  return Buffer.from(passphrase);
}

export function isEmptyPassphrase(passphrase: Passphrase | undefined): boolean {
  return passphrase === undefined || passphrase.length === 0;
}
