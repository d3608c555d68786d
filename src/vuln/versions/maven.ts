/**
 * Maven artifact versions, ordered like Maven's ComparableVersion
 * (https://maven.apache.org/pom.html#version-order-specification).
 *
 * Written by hand: no maintained npm library implements ComparableVersion in
 * TypeScript. Rules from apache/maven
 * compat/maven-artifact/…/versioning/ComparableVersion.java (current master,
 * including MNG-7644 combination items and MNG-7714); vectors:
 * ComparableVersionTest.java.
 *
 * Parsing: lowercase; `.` and `-` separate items, and so does every switch
 * between ASCII digits and other characters; a `-` (or a digit→letter switch)
 * opens a nested sub-list. A qualifier directly followed by a number
 * (`alpha1`, `rc-2`) is one "combination" item; `a1`/`b1`/`m1` mean
 * alpha/beta/milestone 1. A trailing `.X` qualifier is treated as `-X`.
 * Each list then drops trailing "null" items (0, "", ga, final, release).
 *
 * Order: numbers numerically and above everything else; qualifiers
 * alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release
 * < sp < unknown qualifiers (alphabetically); sub-lists sit between
 * qualifiers and numbers; a missing item compares like null (0 / "").
 * Any string parses (Maven never rejects a version) up to 256 characters.
 */
import { invalid } from './errors.js';
import { compareStrings, defineScheme, sign, type Ordering, type ParsedVersion } from './scheme.js';

type Item = IntItem | StringItem | ComboItem | ListItem;
interface IntItem {
  readonly kind: 'int';
  readonly value: bigint;
}
interface StringItem {
  readonly kind: 'string';
  readonly value: string;
}
interface ComboItem {
  readonly kind: 'combo';
  readonly str: StringItem;
  readonly digits: IntItem;
}
interface ListItem {
  readonly kind: 'list';
  readonly items: Item[];
}

export interface MavenVersion extends ParsedVersion {
  readonly scheme: 'maven';
  /** ComparableVersion.getCanonical(). */
  readonly canonical: string;
  /** The parsed item tree (for debugging and canonical forms). */
  readonly items: unknown;
}

const MAX_VERSION_LENGTH = 256;
const QUALIFIERS = ['alpha', 'beta', 'milestone', 'rc', 'snapshot', '', 'sp'];
const RELEASE_QUALIFIERS = new Set(['ga', 'final', 'release']);
const RELEASE_INDEX = String(QUALIFIERS.indexOf(''));
const ZERO: IntItem = { kind: 'int', value: 0n };

function stringItem(value: string, followedByDigit: boolean): StringItem {
  let v = value;
  if (followedByDigit && v.length === 1) {
    if (v === 'a') v = 'alpha';
    else if (v === 'b') v = 'beta';
    else if (v === 'm') v = 'milestone';
  }
  if (v === 'cr') v = 'rc';
  return { kind: 'string', value: v };
}

function intItem(digits: string): IntItem {
  return { kind: 'int', value: digits === '' ? 0n : BigInt(digits) };
}

function comboItem(value: string): ComboItem {
  const index = Math.max(0, value.search(/[0-9]/));
  return { kind: 'combo', str: stringItem(value.slice(0, index), true), digits: intItem(value.slice(index)) };
}

function parseItem(isCombination: boolean, isDigit: boolean, buf: string): Item {
  if (isCombination) return comboItem(buf.replaceAll('-', ''));
  if (isDigit) return intItem(buf);
  return stringItem(buf, false);
}

// Qualifier rank as a string that sorts lexically: known ones by index,
// release aliases as "", unknown after all known ones, alphabetically.
function comparableQualifier(q: string): string {
  if (RELEASE_QUALIFIERS.has(q)) return RELEASE_INDEX;
  const i = QUALIFIERS.indexOf(q);
  return i === -1 ? `${QUALIFIERS.length}-${q}` : String(i);
}

function isNull(item: Item): boolean {
  switch (item.kind) {
    case 'int':
      return item.value === 0n;
    case 'string':
      return item.value === '';
    case 'combo':
      return false;
    case 'list':
      return item.items.length === 0;
  }
}

/** ComparableVersion's Item.compareTo(other), with `null` for a missing item. */
function cmp(a: Item, b: Item | null): Ordering {
  switch (a.kind) {
    case 'int':
      if (b === null) return a.value === 0n ? 0 : 1;
      if (b.kind === 'int') return sign(a.value - b.value);
      return 1;
    case 'string':
      if (b === null) return compareStrings(comparableQualifier(a.value), RELEASE_INDEX);
      switch (b.kind) {
        case 'int':
          return -1;
        case 'string':
          return compareStrings(comparableQualifier(a.value), comparableQualifier(b.value));
        case 'combo': {
          const r = cmp(a, b.str);
          if (r !== 0) return r;
          return cmp(a, null) === 0 ? neg(cmp(b.digits, null)) : -1;
        }
        case 'list':
          return neg(cmp(b, a));
      }
    // falls through: unreachable, every kind returns above
    case 'combo':
      if (b === null) {
        const r = cmp(a.str, null);
        return r !== 0 ? r : cmp(a.digits, null);
      }
      switch (b.kind) {
        case 'int':
          return -1;
        case 'string': {
          const r = cmp(a.str, b);
          if (r !== 0) return r;
          return cmp(a.str, null) === 0 ? cmp(a.digits, null) : 1;
        }
        case 'list':
          return neg(cmp(b, a));
        case 'combo':
          return cmp(a.str, b.str) || cmp(a.digits, b.digits);
      }
    // falls through: unreachable
    case 'list': {
      if (b === null) {
        for (const i of a.items) {
          const r = cmp(i, null);
          if (r !== 0) return r;
        }
        return 0;
      }
      if (b.kind === 'int') return -1;
      if (b.kind === 'list') {
        const n = Math.max(a.items.length, b.items.length);
        for (let i = 0; i < n; i++) {
          const l = a.items[i];
          const r = b.items[i] ?? null;
          const res = l === undefined ? (r === null ? 0 : neg(cmp(r, null))) : cmp(l, r);
          if (res !== 0) return res;
        }
        return 0;
      }
      let res = a.items.length === 0 ? neg(cmp(b, null)) : cmp(a.items[0]!, b);
      for (let i = 1; res === 0 && i < a.items.length; i++) res = cmp(a.items[i]!, null);
      return res;
    }
  }
}

function neg(o: Ordering): Ordering {
  return (o === 0 ? 0 : -o) as Ordering;
}

function normalize(list: ListItem): void {
  const items = list.items;
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i]!;
    if (!isNull(item)) continue;
    const next = items[i + 1];
    if (next === undefined || next.kind === 'string') {
      items.splice(i, 1);
    } else if (next.kind === 'list') {
      const first = next.items[0];
      if (first !== undefined && (first.kind === 'combo' || first.kind === 'string')) items.splice(i, 1);
    }
  }
  // Removing a zero prefix must not leave an extra nesting level.
  const only = items[0];
  if (items.length === 1 && only !== undefined && only.kind === 'list') {
    const inner = only.items;
    items.length = 0;
    for (const item of inner) items.push(item);
  }
}

function parseItems(version: string): ListItem {
  const v = version.toLowerCase();
  const root: ListItem = { kind: 'list', items: [] };
  let list = root;
  const stack: ListItem[] = [root];
  const open = (): void => {
    const sub: ListItem = { kind: 'list', items: [] };
    list.items.push(sub);
    list = sub;
    stack.push(sub);
  };
  let isDigit = false;
  let isCombination = false;
  let start = 0;
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (c === '.') {
      list.items.push(i === start ? ZERO : parseItem(isCombination, isDigit, v.slice(start, i)));
      isCombination = false;
      start = i + 1;
    } else if (c === '-') {
      if (i === start) {
        list.items.push(ZERO);
      } else {
        // X-1 is read as X1.
        if (!isDigit && i !== v.length - 1 && /[0-9]/.test(v[i + 1]!)) {
          isCombination = true;
          continue;
        }
        list.items.push(parseItem(isCombination, isDigit, v.slice(start, i)));
      }
      start = i + 1;
      if (list.items.length > 0) open();
      isCombination = false;
    } else if (c >= '0' && c <= '9') {
      if (!isDigit && i > start) {
        isCombination = true; // X1
        if (list.items.length > 0) open();
      }
      isDigit = true;
    } else {
      if (isDigit && i > start) {
        list.items.push(parseItem(isCombination, true, v.slice(start, i)));
        start = i;
        open();
        isCombination = false;
      }
      isDigit = false;
    }
  }
  if (v.length > start) {
    // 1.0.0.X1 < 1.0.0-X2: treat .X as -X for any qualifier X.
    if (!isDigit && list.items.length > 0) open();
    list.items.push(parseItem(isCombination, isDigit, v.slice(start)));
  }
  for (let i = stack.length - 1; i >= 0; i--) normalize(stack[i]!);
  return root;
}

function itemString(item: Item): string {
  switch (item.kind) {
    case 'int':
      return item.value.toString();
    case 'string':
      return item.value;
    case 'combo':
      return item.str.value + item.digits.value.toString();
    case 'list': {
      let out = '';
      for (const i of item.items) {
        if (out !== '') out += i.kind === 'list' ? '-' : '.';
        out += itemString(i);
      }
      return out;
    }
  }
}

interface MavenInternal extends MavenVersion {
  readonly items: ListItem;
}

export function parseMaven(version: string): MavenVersion {
  if (version.length > MAX_VERSION_LENGTH) throw invalid('maven', version.slice(0, 32), `longer than ${MAX_VERSION_LENGTH} characters`);
  const items = parseItems(version);
  const parsed: MavenInternal = { scheme: 'maven', raw: version, canonical: itemString(items), items };
  return parsed;
}

export const maven = defineScheme<MavenVersion>({
  name: 'maven',
  parse: parseMaven,
  compareParsed: (a, b) => cmp((a as MavenInternal).items, (b as MavenInternal).items),
});
