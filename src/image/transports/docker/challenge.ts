/**
 * `WWW-Authenticate` parsing (RFC 7235 §4.1): one header may carry several
 * challenges, each `scheme param=value, param="quoted, with \"escapes\""`.
 * Registries send `Basic realm="…"` or
 * `Bearer realm="…",service="…",scope="…"` (docker token auth spec).
 */
import { appendAll } from '../../../core/index.js';
export interface Challenge {
  /** Lower-cased: `basic`, `bearer`, … */
  scheme: string;
  /** Parameter names lower-cased, values unquoted. */
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;

export function parseChallenges(values: readonly string[]): Challenge[] {
  const out: Challenge[] = [];
  for (const value of values) appendAll(out, parseOne(value));
  return out;
}

function parseOne(input: string): Challenge[] {
  const challenges: Challenge[] = [];
  let i = 0;
  let current: Challenge | undefined;
  const skipSpace = (): void => {
    while (i < input.length && (input[i] === ' ' || input[i] === '\t')) i++;
  };
  while (i < input.length) {
    skipSpace();
    if (input[i] === ',') {
      i++;
      continue;
    }
    const match = TOKEN.exec(input.slice(i));
    if (!match) break; // malformed: keep what we have
    const token = match[0];
    i += token.length;
    skipSpace();
    if (input[i] === '=' && current) {
      // A parameter of the current challenge (token68 values are not used by registries).
      i++;
      skipSpace();
      let value = '';
      if (input[i] === '"') {
        i++;
        while (i < input.length && input[i] !== '"') {
          if (input[i] === '\\' && i + 1 < input.length) i++;
          value += input[i];
          i++;
        }
        i++; // closing quote
      } else {
        const bare = /^[^,\s]*/.exec(input.slice(i));
        value = bare ? bare[0] : '';
        i += value.length;
      }
      current.params[token.toLowerCase()] = value;
    } else {
      current = { scheme: token.toLowerCase(), params: {} };
      challenges.push(current);
    }
  }
  return challenges;
}

/** The challenge to answer: Bearer if offered, else Basic, else undefined. */
export function pickChallenge(challenges: readonly Challenge[]): Challenge | undefined {
  return challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
}
