/**
 * A count with its noun for human output: "1 vulnerability", "2
 * vulnerabilities", "0 packages". Every line a person reads goes through it,
 * so no message says "1 vulnerabilities". Machine formats (JSON, SARIF) never
 * need it.
 */
export function plural(count: number, noun: string | readonly [singular: string, plural: string], pluralForm?: string): string {
  const [singular, many] = typeof noun === 'string' ? [noun, pluralForm ?? `${noun}s`] : noun;
  return `${count} ${count === 1 ? singular : many}`;
}

/** The nouns that do not take a plain `s`. */
export const VULNERABILITY: readonly [string, string] = ['vulnerability', 'vulnerabilities'];
export const ADVISORY: readonly [string, string] = ['advisory', 'advisories'];
export const ENTRY: readonly [string, string] = ['entry', 'entries'];
