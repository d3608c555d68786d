/**
 * A strict parser of the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format),
 * for tests that scrape `/metrics`: prom-client does not export its own.
 * Every line must be a `# HELP`, a `# TYPE`, a sample or empty; HELP and
 * TYPE once per family, before its samples; a family is never split.
 */
import assert from 'node:assert/strict';

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
// Prometheus reads values with Go's strconv.ParseFloat, where NaN and Inf are case-insensitive (prom-client writes "Nan").
const VALUE = '(?:[-+]?(?:\\d+(?:\\.\\d+)?(?:[eE][-+]?\\d+)?)|[-+][Ii][Nn][Ff]|[Nn][Aa][Nn])';
const HELP = new RegExp(`^# HELP (${NAME}) ((?:[^\\\\\\n]|\\\\[\\\\n])*)$`);
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const SAMPLE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*)?\\})? (${VALUE})(?: -?\\d+)?$`);

export interface Family {
  type?: string;
  help?: string;
  samples: Array<{ name: string; labels: Record<string, string>; value: number }>;
}

/** Parses an exposition strictly; throws on the first line that breaks the format. */
export function parseExposition(text: string): Map<string, Family> {
  assert.ok(text.endsWith('\n'), 'ends with a newline');
  const families = new Map<string, Family>();
  const closed = new Set<string>();
  let current: string | undefined;
  const enter = (sampleName: string): Family => {
    // A histogram's or summary's samples carry suffixes of its family's name.
    const base = sampleName.replace(/_(bucket|sum|count)$/, '');
    const name = base !== sampleName && ['histogram', 'summary'].includes(families.get(base)?.type ?? '') ? base : sampleName;
    if (current !== name) {
      if (current) closed.add(current);
      assert.ok(!closed.has(name), `family ${name} is split`);
      current = name;
    }
    let f = families.get(name);
    if (!f) families.set(name, (f = { samples: [] }));
    return f;
  };
  for (const line of text.slice(0, -1).split('\n')) {
    let m: RegExpExecArray | null;
    if (line === '') {
      continue; // "Empty lines are ignored" (exposition format 0.0.4); prom-client separates families with one
    } else if ((m = HELP.exec(line))) {
      const f = enter(m[1]!);
      assert.equal(f.help, undefined, `second HELP for ${m[1]}`);
      assert.equal(f.samples.length, 0, `HELP after samples of ${m[1]}`);
      f.help = m[2]!;
    } else if ((m = TYPE.exec(line))) {
      const f = enter(m[1]!);
      assert.equal(f.type, undefined, `second TYPE for ${m[1]}`);
      assert.equal(f.samples.length, 0, `TYPE after samples of ${m[1]}`);
      f.type = m[2]!;
    } else if ((m = SAMPLE.exec(line))) {
      const f = enter(m[1]!);
      assert.ok(f.type, `sample of ${m[1]} before its TYPE`);
      const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))]));
      f.samples.push({ name: m[1]!, labels, value: Number(m[3]!.replace(/^([-+])inf$/i, '$1Infinity')) });
    } else {
      assert.fail(`not a valid exposition line: ${JSON.stringify(line)}`);
    }
  }
  return families;
}

/** One sample's value (0 when absent); `name` may be a histogram's `_bucket`, `_sum` or `_count` sample. */
export function value(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const f = families.get(name) ?? families.get(name.replace(/_(bucket|sum|count)$/, ''));
  const s = f?.samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v) && Object.keys(x.labels).length === Object.keys(labels).length);
  return s?.value ?? 0;
}
