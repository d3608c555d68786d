/**
 * What oval-reader.ts keeps of an OVAL 5 definitions document, and the ids
 * it keys it by: Oracle's `oval:com.oracle.elsa:tst:20241001001` as the
 * number 20241001001 (the maps are per kind, so the kind is implied), every
 * other id as written. A number costs a fraction of a string, and Oracle's
 * feed has hundreds of thousands of tests.
 */
export interface OvalReference {
  readonly source: string;
  readonly id: string;
  readonly url?: string;
}

/** An OVAL id as kept in memory (module header). */
export type OvalKey = number | string;

const ORACLE_ID = /^oval:com\.oracle\.elsa:(?:def|tst|obj|ste):([1-9]\d{0,14})$/;

export function ovalKey(id: string): OvalKey {
  const m = ORACLE_ID.exec(id);
  return m ? Number(m[1]) : own(id);
}

/** The id as the file writes it. */
export function ovalIdText(key: OvalKey, kind: 'tst' | 'obj' | 'ste'): string {
  return typeof key === 'number' ? `oval:com.oracle.elsa:${kind}:${key}` : key;
}

export interface OvalDefinition {
  readonly id: string;
  readonly className: string;
  /** The definition's `version` attribute. */
  readonly version: string;
  title: string;
  description: string;
  severity: string;
  issued?: string;
  readonly references: OvalReference[];
  readonly cves: string[];
  readonly platforms: string[];
  /**
   * The criteria tree, flat: `parents[i]` is the index of criteria i's parent
   * (-1 for the top one; parents come first); criterion j names test
   * `tests[j]` and belongs to criteria `testNodes[j]`.
   */
  readonly parents: number[];
  readonly tests: OvalKey[];
  readonly testNodes: number[];
  /** Why the definition cannot be used (kept to be reported by the converter). */
  problem?: string;
}

export interface OvalTest {
  /** The element name without prefix: `rpminfo_test`, `textfilecontent54_test`, … */
  readonly kind: string;
  object?: OvalKey;
  /** Usually one: created with it (an empty array literal grows to room for 16). */
  states: OvalKey[];
}

/** The parts of an `rpminfo_state` a package advisory uses. */
export interface OvalState {
  evr?: string;
  evrOperation?: string;
  version?: string;
  arch?: string;
  release?: string;
  signatureKeyId?: string;
}

export interface OvalDocument {
  readonly definitions: OvalDefinition[];
  readonly tests: Map<OvalKey, OvalTest>;
  /** Object id → package name. */
  readonly objects: Map<OvalKey, string>;
  readonly states: Map<OvalKey, OvalState>;
}

/**
 * A copy of a string the parser cut from its input: V8 keeps a slice's whole
 * parent alive, so a stored id would pin the megabyte of text it came from
 * (oval-reader.ts header: 432 MB of heap for a 192 MB feed before, 111 MB after).
 */
export function own(text: string): string {
  return (` ${text}`).slice(1);
}

