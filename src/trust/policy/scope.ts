/**
 * Which repositories a policy entry's `match` globs cover. Image names are
 * normalised before they are matched (`alpine` is `docker.io/library/alpine`,
 * `index.docker.io` is `docker.io`: core/reference.ts), so a glob written in
 * one of those short forms would silently match nothing — and an entry that
 * matches nothing enforces nothing (with content trust off, or before a
 * catch-all `allow`). Fail closed: globs are normalised the way names are,
 * and registry hosts, which DNS does not tell apart by case
 * (`REGISTRY.EXAMPLE/team/app` reaches `registry.example`), are compared in
 * lower case on both sides.
 *
 * | written                         | matched as                       |
 * |---------------------------------|----------------------------------|
 * | `alpine`, `team/app`            | `docker.io/library/alpine`, `docker.io/team/app` |
 * | `docker.io/alpine`              | `docker.io/library/alpine`       |
 * | `index.docker.io/…`             | `docker.io/…`                    |
 * | `registry.example`, `*.example.com` (a host alone) | `registry.example/**`, `*.example.com/**` (every repository there, as the containers-policy scope of that host) |
 * | `Registry.Example/team/*`       | `registry.example/team/*`        |
 *
 * A first segment is a host as in Docker's grammar: it has a `.` or a `:`,
 * or is `localhost`. A first segment with a wildcard and neither (`*`, `**`,
 * `team-*`) is left as written. Pure.
 */
const DEFAULT_REGISTRY = 'docker.io';

function isHost(segment: string): boolean {
  return segment.includes('.') || segment.includes(':') || segment === 'localhost';
}

/** The glob as image names are written after normalisation (see the table above). */
export function normalisePolicyGlob(glob: string): string {
  const segments = glob.toLowerCase().split('/');
  const first = segments[0]!;
  if (segments.length === 1) {
    if (isHost(first)) return `${first}/**`;
    if (first.includes('*')) return first;
    return `${DEFAULT_REGISTRY}/library/${first}`;
  }
  if (!isHost(first)) return first.includes('*') ? segments.join('/') : [DEFAULT_REGISTRY, ...segments].join('/');
  if (first === 'index.docker.io') segments[0] = DEFAULT_REGISTRY;
  if (segments[0] === DEFAULT_REGISTRY && segments.length === 2 && !segments[1]!.includes('*')) segments.splice(1, 0, 'library');
  return segments.join('/');
}

/** `registry/repository` with the registry host in lower case (paths are lower case by the grammar already). */
export function policyName(repository: string): string {
  const slash = repository.indexOf('/');
  return slash < 0 ? repository.toLowerCase() : `${repository.slice(0, slash).toLowerCase()}${repository.slice(slash)}`;
}
