/**
 * The server-held signing keys of each GUN: the timestamp key (always the
 * server's, as with notary-server) and the snapshot key when the publisher
 * hands snapshot to the server (`notary key rotate <gun> snapshot -r`).
 * `GET <role>.key` returns the newest key, creating one the first time when
 * the caller may push (service.ts decides); `POST <role>.key` makes a new one. Signing uses whichever held key the
 * current root lists for the role, so a rotation only takes effect once the
 * publisher's new root names the new key. Keys reach the store sealed
 * (key-sealing.ts) and are opened only here, when one signs.
 */
import { exportSigningKey, generateSigningKey, importSigningKey, type SigningKey, type SigningKeyType } from '../../trust/tuf/index.js';
import type { KeyBox } from './key-sealing.js';
import type { StoredKey, TufMetadataStore } from './store.js';

export type ServerRole = 'timestamp' | 'snapshot';

export class ServerKeys {
  constructor(
    private readonly store: TufMetadataStore,
    private readonly box: KeyBox,
    private readonly algorithm: SigningKeyType = 'ed25519',
  ) {}

  /** The newest key, creating one when there is none. */
  async current(gun: string, role: ServerRole): Promise<SigningKey> {
    return (await this.existing(gun, role)) ?? this.create(gun, role);
  }

  /** The newest key, or undefined: never creates one. */
  async existing(gun: string, role: ServerRole): Promise<SigningKey | undefined> {
    const [newest] = await this.store.keys(gun, role);
    return newest ? this.open(newest) : undefined;
  }

  async create(gun: string, role: ServerRole): Promise<SigningKey> {
    const key = generateSigningKey(this.algorithm);
    const label = { gun, role, keyId: key.public.id };
    await this.store.addKey({ ...label, sealedKey: this.box.seal(exportSigningKey(key), label), kekId: this.box.kekId, createdAt: new Date() });
    return key;
  }

  /** A held key for `role` whose ID is among `keyids` (the root's list), if any. */
  async signerFor(gun: string, role: ServerRole, keyids: readonly string[]): Promise<SigningKey | undefined> {
    const held = (await this.store.keys(gun, role)).find((k) => keyids.includes(k.keyId));
    return held ? this.open(held) : undefined;
  }

  private open(stored: StoredKey): SigningKey {
    return importSigningKey(this.box.open(stored.sealedKey, stored));
  }
}
