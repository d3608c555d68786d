/**
 * Escaping for the text formats. Advisory titles, descriptions, package names
 * and links are hostile input: every interpolated string goes through one of
 * these.
 */

/** HTML text and attribute values (both quote kinds escaped). */
export function htmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** The URL when it is an absolute http(s) URL without whitespace or control characters; undefined otherwise (`javascript:` and friends). */
export function safeHttpUrl(text: string | undefined): string | undefined {
  if (!text) return undefined;
  // eslint-disable-next-line no-control-regex
  if (!/^https?:\/\/[^\s\u0000-\u001F\u007F<>"'`]+$/i.test(text)) return undefined;
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? text : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Text for a cell of a GitHub-flavoured Markdown table: one line, pipes and
 * Markdown punctuation backslash-escaped, HTML special characters as entities
 * (GitHub renders inline HTML).
 */
export function markdownCell(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/[\\`*_{}[\]()#+!|~]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .trim();
}

/** A Markdown link whose target cannot break out of `(…)`. */
export function markdownLink(label: string, url: string | undefined): string {
  const safe = safeHttpUrl(url);
  if (!safe) return markdownCell(label);
  return `[${markdownCell(label)}](${safe.replace(/[()\s|]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)})`;
}
