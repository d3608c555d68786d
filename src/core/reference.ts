/**
 * Docker image references (`[HOST[:PORT]/]PATH[:TAG][@DIGEST]`), normalised the
 * way docker and containers/image do it: a name without a registry host lives
 * on docker.io, and a one-component docker.io name lives under `library/`.
 * Grammar: https://github.com/distribution/reference/blob/main/reference.go
 */
import { CoreError } from './errors.js';
import { isDigest, type Digest } from './digest.js';

export const DEFAULT_REGISTRY = 'docker.io';
export const DEFAULT_TAG = 'latest';
/** docker.io is an alias; the registry API itself answers on this host. */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const MAX_NAME_LENGTH = 255;

export interface ImageRef {
  /** Registry host as users write it, with port: `docker.io`, `127.0.0.1:5001`. */
  readonly registry: string;
  /** Repository path within the registry: `library/alpine`. */
  readonly repository: string;
  readonly tag?: string;
  readonly digest?: Digest;
}

export function parseImageRef(input: string): ImageRef {
  const fail = (why: string): never => {
    throw new CoreError('REFERENCE_INVALID', `invalid image reference "${input}": ${why}`);
  };
  if (input === '' || input.trim() !== input) fail('empty or has surrounding spaces');

  let rest = input;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const d = rest.slice(at + 1);
    if (!isDigest(d)) fail(`bad digest "${d}"`);
    digest = d as Digest;
    rest = rest.slice(0, at);
  }

  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > lastSlash) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG.test(tag)) fail(`bad tag "${tag}"`);
  }

  let registry = DEFAULT_REGISTRY;
  let path = rest;
  const firstSlash = rest.indexOf('/');
  if (firstSlash > 0) {
    const first = rest.slice(0, firstSlash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      registry = first;
      path = rest.slice(firstSlash + 1);
      validateDomain(registry, fail);
    }
  }
  if (registry === 'index.docker.io') registry = DEFAULT_REGISTRY;
  if (path === '') fail('empty repository name');
  if (path !== path.toLowerCase()) fail('repository name must be lowercase');
  for (const component of path.split('/')) {
    if (!COMPONENT.test(component)) fail(`bad path component "${component}"`);
  }
  if (registry === DEFAULT_REGISTRY && !path.includes('/')) path = `library/${path}`;
  if (registry.length + 1 + path.length > MAX_NAME_LENGTH) fail(`name longer than ${MAX_NAME_LENGTH} characters`);
  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;

  const ref: { registry: string; repository: string; tag?: string; digest?: Digest } = { registry, repository: path };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

function validateDomain(domain: string, fail: (why: string) => never): void {
  let host = domain;
  const ipv6 = /^\[[0-9a-fA-F:]+\](?::\d+)?$/;
  if (ipv6.test(domain)) return;
  const colon = domain.lastIndexOf(':');
  if (colon >= 0) {
    const port = domain.slice(colon + 1);
    if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) fail(`bad port "${port}"`);
    host = domain.slice(0, colon);
  }
  for (const part of host.split('.')) {
    if (!DOMAIN_COMPONENT.test(part)) fail(`bad registry host "${domain}"`);
  }
}

/** `registry/repository` — the name without tag or digest. */
export function refName(ref: ImageRef): string {
  return `${ref.registry}/${ref.repository}`;
}

/** The fully qualified string: `registry/repository[:tag][@digest]`. */
export function formatImageRef(ref: ImageRef): string {
  return `${refName(ref)}${ref.tag !== undefined ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** The host to speak the registry API to (docker.io is served by registry-1.docker.io). */
export function apiHost(registry: string): string {
  return registry === DEFAULT_REGISTRY ? DOCKER_HUB_API_HOST : registry;
}

/** Tag or digest used to fetch the manifest; the digest wins when both are given. */
export function manifestReference(ref: ImageRef): string {
  return ref.digest ?? ref.tag ?? DEFAULT_TAG;
}

export function withDigest(ref: ImageRef, digest: Digest): ImageRef {
  return { ...ref, digest };
}
