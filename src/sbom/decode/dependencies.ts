/** Dependency edges (purl → purls) collected by a format decoder, then set on the packages. */
import type { Package } from '../../core/index.js';

export function addEdge(edges: Map<string, Set<string>>, from: string, to: string): void {
  const set = edges.get(from);
  if (set) set.add(to);
  else edges.set(from, new Set([to]));
}

export function applyDependencies(packages: Package[], edges: Map<string, Set<string>>): void {
  if (edges.size === 0) return;
  for (let i = 0; i < packages.length; i++) {
    const p = packages[i] as Package;
    const deps = edges.get(p.purl);
    if (deps?.size) packages[i] = { ...p, dependsOn: [...deps].sort() };
  }
}
