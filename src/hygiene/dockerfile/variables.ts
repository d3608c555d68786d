/**
 * Dockerfile variable substitution, enough to resolve a base image from the
 * defaults of global ARGs: `$NAME`, `${NAME}`, `${NAME:-word}`, `${NAME-word}`,
 * `${NAME:+word}`, `${NAME+word}`. A variable without a value stays as
 * `${NAME}` and is listed in `unresolved`.
 */
export interface Substitution {
  readonly value: string;
  readonly unresolved: string[];
}

const VARIABLE = /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

export function substituteVariables(text: string, lookup: (name: string) => string | undefined): Substitution {
  const unresolved: string[] = [];
  const value = text.replace(VARIABLE, (whole, braced: string | undefined, op: string | undefined, word: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare) as string;
    const v = lookup(name);
    const set = v !== undefined && (op?.startsWith(':') ? v !== '' : true);
    if (op === ':-' || op === '-') return set ? (v as string) : (word ?? '');
    if (op === ':+' || op === '+') return set ? (word ?? '') : '';
    if (v !== undefined) return v;
    unresolved.push(name);
    return `\${${name}}`;
  });
  return { value, unresolved };
}
