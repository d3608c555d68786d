/**
 * The registry of transports, and the one place that parses `transport:rest`
 * names (after containers/image's alltransports). A name without a known
 * transport prefix is a docker reference, as podman and docker treat it,
 * unless it is a path (resolve): then the local transports look at what is
 * there and the first in list order that recognises it reads it, as syft and
 * grype accept `./image.tar`.
 */
import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseImageRef } from '../core/index.js';
import { ImageError } from './errors.js';
import { probePath } from './path-probe.js';
import { errnoCode, fsError } from './transports/local/files.js';
import type { ImageReference, Transport } from './types.js';

/** Names that are paths whatever is on disk: `/…`, `./…`, `../…`, `~`, `~/…` (and `.`/`..`). */
const PATH_LIKE = /^(?:\/|\.\.?(?:\/|$)|~(?:\/|$))/;

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

  /**
   * Like parse, and a name without a transport prefix that is a path is
   * read by the local transport that recognises what is there. A name is a
   * path when it starts with `/`, `./`, `../` or `~`, or when a file or
   * directory of exactly that name exists; `alpine` and `ghcr.io/x/y:1` stay
   * registry references unless such a file exists. A path-like name may end
   * in `:REF` (split at the first colon, as `oci:PATH:REF` is) when the
   * whole name does not exist. For a destination (`copy … ./out`) only an
   * existing, recognised path is accepted: the format of a new one must be
   * named (TRANSPORT_UNKNOWN). A path-like name that does not exist is
   * NOT_FOUND; an existing one no transport recognises is PATH_UNRECOGNISED,
   * and both messages say what was tried and the prefixed forms.
   */
  async resolve(name: string, options: { destination?: boolean } = {}): Promise<ImageReference> {
    const colon = name.indexOf(':');
    if (colon > 0 && this.byName.has(name.slice(0, colon))) return this.parse(name);
    const local = [...this.byName.values()].filter((t) => t.plainPath !== undefined);
    const registry = !PATH_LIKE.test(name) && isDockerName(name) ? `; for the registry image write docker://${name}` : '';
    const nameTheFormat = (path: string): string => `name the format: ${orList(local.map((t) => `${t.name}:${path}`))}${registry}`;
    const located = await locatePath(name, options.destination !== true);
    if (!located) return this.parse(name);
    const { path, ref, stats } = located;
    if (!stats) throw new ImageError('TRANSPORT_UNKNOWN', `${name} does not exist yet: ${nameTheFormat(path)}`);
    if (path.includes(':')) {
      throw new ImageError('REFERENCE_INVALID', `${path}: a path containing ":" cannot name an image (the colon separates PATH from REF); rename it or use a symlink`);
    }
    const probe = await probePath(path, stats);
    for (const transport of local) {
      if (await transport.plainPath?.claims(probe)) return transport.parseReference(ref === undefined ? path : `${path}:${ref}`);
    }
    if (probe.advice) throw new ImageError('PATH_UNRECOGNISED', `${name} is ${probe.description}: ${probe.advice}`);
    const tried = local.map((t) => t.plainPath?.description).join(', ');
    const what = probe.kind === 'other' ? `is ${probe.description}, so not an image` : `is ${probe.description} but not an image`;
    throw new ImageError('PATH_UNRECOGNISED', `${name} ${what}: looked for ${tried}; ${nameTheFormat(path)}`);
  }
}

interface LocatedPath {
  path: string;
  ref?: string;
  /** Undefined for a path-like name that does not exist (allowed only when `mustExist` is false). */
  stats?: Stats;
}

/**
 * The path a name designates, with its `:REF` suffix split off; undefined
 * when the name is not a path (so it is a registry reference). A path-like
 * name that does not exist is NOT_FOUND.
 */
async function locatePath(name: string, mustExist: boolean): Promise<LocatedPath | undefined> {
  const pathLike = PATH_LIKE.test(name);
  const expanded = expandHome(name);
  const whole = await statPath(expanded, pathLike);
  if (whole) return { path: expanded, stats: whole };
  if (!pathLike) return undefined;
  const colon = expanded.indexOf(':');
  if (colon > 0) {
    const path = expanded.slice(0, colon);
    const stats = await statPath(path, true);
    if (stats) return { path, ref: expanded.slice(colon + 1), stats };
  }
  if (!mustExist) return { path: expanded };
  throw new ImageError(
    'NOT_FOUND',
    `${name} does not exist (a name starting with /, ./, ../ or ~ is a local path; a registry image is written alpine, ghcr.io/org/app:1 or docker://HOST/REPO)`,
  );
}

async function statPath(path: string, pathLike: boolean): Promise<Stats | undefined> {
  try {
    return await stat(path);
  } catch (error) {
    const code = errnoCode(error);
    // For a name that is not path-like, anything but a readable file means "a registry name".
    if (!pathLike || code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG') return undefined;
    throw fsError(error, path);
  }
}

function orList(items: readonly string[]): string {
  return items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

function expandHome(name: string): string {
  if (name === '~') return homedir();
  return name.startsWith('~/') ? join(homedir(), name.slice(2)) : name;
}

function isDockerName(name: string): boolean {
  try {
    parseImageRef(name);
    return true;
  } catch {
    return false;
  }
}

/** `transport:within`, the way the name is written back to a user (docker gets `//`). */
export function formatReference(reference: ImageReference): string {
  const name = reference.transport.name;
  return name === 'docker' ? `docker://${reference.within}` : `${name}:${reference.within}`;
}
