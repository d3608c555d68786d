/**
 * Licence strings as cataloguers record them (`Package.licenses`: SPDX ids,
 * SPDX expressions, or names as written, such as Debian's `GPL-2+`), sorted
 * into what each SBOM format can say: an SPDX id, an SPDX expression (checked
 * with `spdx-expression-parse`), or a free-text name.
 */
import parse from 'spdx-expression-parse';

export type LicenseClass =
  | { readonly kind: 'id'; readonly id: string }
  | { readonly kind: 'expression'; readonly expression: string; readonly refs: readonly string[] }
  | { readonly kind: 'name'; readonly name: string };

type Node = ReturnType<typeof parse>;

function refsOf(node: Node, out: string[]): void {
  if ('conjunction' in node) {
    refsOf(node.left, out);
    refsOf(node.right, out);
  } else if (node.license.startsWith('LicenseRef-') || node.license.startsWith('DocumentRef-')) {
    out.push(node.license);
  }
}

/** Licence strings repeat across thousands of packages: parse each once (bounded). */
const cache = new Map<string, LicenseClass>();
const CACHE_LIMIT = 10_000;

/** One licence string: a bare SPDX id, a (compound) SPDX expression, or a name. */
export function classifyLicense(text: string): LicenseClass {
  const known = cache.get(text);
  if (known) return known;
  const result = classify(text);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(text, result);
  return result;
}

function classify(text: string): LicenseClass {
  const trimmed = text.trim();
  if (trimmed.length === 0 || trimmed.length > 2048) return { kind: 'name', name: trimmed.slice(0, 2048) };
  let node: Node;
  try {
    node = parse(trimmed);
  } catch {
    return { kind: 'name', name: trimmed };
  }
  const refs: string[] = [];
  refsOf(node, refs);
  if (!('conjunction' in node) && !node.plus && !node.exception && refs.length === 0) return { kind: 'id', id: node.license };
  return { kind: 'expression', expression: trimmed, refs };
}

/** `A`, `(A OR B)`: an expression ready to be one operand of `AND`. */
export function asOperand(expression: string): string {
  return /\s(?:AND|OR)\s/i.test(expression) ? `(${expression})` : expression;
}
