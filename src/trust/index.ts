/**
 * `trust`, its main entry: keys and the key store (`keys/`), signature
 * formats — simple signing, the cosign tag layout, Sigstore bundles, DSSE and
 * in-toto (`signatures/`) — and the trust policy (`policy/`). No network and
 * no image I/O: the engine brings the bytes.
 *
 * TUF metadata in Notary's dialect is an entry of its own, `tuf/index.ts`:
 * TUF has key ids, signatures and canonical JSON of its own, under the same
 * names (`keyIdOf`, `verifySignature`, `canonicalJson`), and only Notary
 * (the server's trust service, the engine's client) needs it.
 */
export * from './keys/index.js';
export { isMissing, writeFileAtomic } from './keys/store/files.js';
export * from './policy/index.js';
export * from './signatures/index.js';
