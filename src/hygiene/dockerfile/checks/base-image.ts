/**
 * dockerfile/base-latest and dockerfile/base-unpinned: how each stage's base
 * image is named. `FROM scratch` and `FROM <earlier stage>` are fine. A base
 * that comes from a global ARG is judged by the ARG's default; a part that
 * stays unknown (no default) is given the benefit of the doubt.
 */
import type { DockerfileCheck } from '../check.js';
import type { DockerfileContext } from '../context.js';

export interface ReferenceParts {
  readonly name: string;
  readonly tag?: string;
  readonly digest?: string;
}

/** Split `registry:5000/repo/name:tag@sha256:…` without validating it. */
export function splitReference(ref: string): ReferenceParts {
  const at = ref.indexOf('@');
  const digest = at >= 0 ? ref.slice(at + 1) : undefined;
  const rest = at >= 0 ? ref.slice(0, at) : ref;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) return { name: rest.slice(0, colon), tag: rest.slice(colon + 1), digest };
  return { name: rest, digest };
}

function check(ctx: DockerfileContext): void {
  for (const stage of ctx.doc.stages) {
    const base = stage.base;
    if (!base || stage.scratch || stage.parent) continue;
    const parts = splitReference(base.resolved);
    const unknown = (s: string | undefined): boolean => s !== undefined && s.includes('${');
    if (parts.name === '' || /^\$\{[^}]*\}$/.test(parts.name)) {
      ctx.warn(base.start, `FROM ${base.written}: the base image depends on ${base.unresolved.map((v) => `ARG ${v}`).join(', ')} without a default; not checked`);
      continue;
    }
    if (unknown(parts.tag) || unknown(parts.digest)) continue;
    const via = base.written !== base.resolved ? ` (from the ARG default: ${base.resolved})` : '';
    if (parts.digest !== undefined) continue;
    if (parts.tag === undefined || parts.tag === 'latest') {
      ctx.report({
        ruleId: 'dockerfile/base-latest',
        start: base.start,
        end: base.end,
        message:
          parts.tag === undefined
            ? `FROM ${base.written}${via} has no tag, so it means ':latest'`
            : `FROM ${base.written}${via} uses the mutable ':latest' tag`,
        fix: `FROM ${parts.name}:<version>@sha256:<digest>`,
      });
    } else {
      ctx.report({
        ruleId: 'dockerfile/base-unpinned',
        start: base.start,
        end: base.end,
        message: `FROM ${base.written}${via} is not pinned by digest`,
        fix: `FROM ${parts.name}:${parts.tag}@sha256:<digest>`,
      });
    }
  }
}

export const baseImageCheck: DockerfileCheck = { name: 'base-image', rules: ['dockerfile/base-latest', 'dockerfile/base-unpinned'], check };
