/**
 * The registry of transports, and the one place that parses `transport:rest`
 * names (after containers/image's alltransports). A name without a known
 * transport prefix is a docker reference, as podman and docker treat it.
 */
import { ImageError } from './errors.js';
import type { ImageReference, Transport } from './types.js';

export class TransportRegistry {
  private readonly byName = new Map<string, Transport>();

  constructor(transports: readonly Transport[] = []) {
    for (const transport of transports) this.register(transport);
  }

  register(transport: Transport): void {
    if (this.byName.has(transport.name)) throw new Error(`duplicate transport "${transport.name}"`);
    this.byName.set(transport.name, transport);
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  get(name: string): Transport | undefined {
    return this.byName.get(name);
  }

  /** Parses `docker://…`, `oci:DIR[:REF]`, … and bare docker references. */
  parse(name: string): ImageReference {
    const colon = name.indexOf(':');
    if (colon > 0) {
      const prefix = name.slice(0, colon);
      const transport = this.byName.get(prefix);
      if (transport) {
        let within = name.slice(colon + 1);
        if (prefix === 'docker') {
          if (!within.startsWith('//')) {
            throw new ImageError('REFERENCE_INVALID', `invalid image name "${name}": the docker transport is written docker://HOST/REPO[:TAG]`);
          }
          within = within.slice(2);
        }
        return transport.parseReference(within);
      }
      // `host:5000/repo` and `repo:tag` are bare docker references, not transports.
      // A path after the colon cannot be a tag or a port: this was meant as a transport.
      if (/^[a-z][a-z0-9-]*$/.test(prefix) && /^[./~]/.test(name.slice(colon + 1))) {
        throw new ImageError('TRANSPORT_UNKNOWN', `unknown transport "${prefix}" in "${name}"; known: ${this.names().join(', ')}`);
      }
    }
    const docker = this.byName.get('docker');
    if (!docker) throw new ImageError('TRANSPORT_UNKNOWN', `no transport for "${name}"`);
    return docker.parseReference(name);
  }
}

/** `transport:within`, the way the name is written back to a user (docker gets `//`). */
export function formatReference(reference: ImageReference): string {
  const name = reference.transport.name;
  return name === 'docker' ? `docker://${reference.within}` : `${name}:${reference.within}`;
}
