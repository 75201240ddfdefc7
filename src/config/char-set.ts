/**
 * Sets of code points for the regex check (`./regex-safety`): what a class, an escape or a
 * literal can match, with the two questions the check asks (do two sets share a character,
 * does one hold all of another).
 */

const MAX_CODE_POINT = 0x10ffff;

/** A set of code points as sorted, disjoint, inclusive ranges. */
export type CharSet = ReadonlyArray<readonly [number, number]>;

export function normalize(ranges: Array<readonly [number, number]>): CharSet {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [lo, hi] of sorted) {
    const last = out.at(-1);
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

export const union = (...sets: CharSet[]): CharSet => normalize(sets.flat());

export function complement(set: CharSet): CharSet {
  const out: Array<[number, number]> = [];
  let next = 0;
  for (const [lo, hi] of set) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CODE_POINT) out.push([next, MAX_CODE_POINT]);
  return out;
}

export function overlaps(a: CharSet, b: CharSet): boolean {
  return a.some(([alo, ahi]) => b.some(([blo, bhi]) => alo <= bhi && blo <= ahi));
}

export function contains(outer: CharSet, inner: CharSet): boolean {
  return inner.every(([lo, hi]) => outer.some(([olo, ohi]) => olo <= lo && hi <= ohi));
}

/** Rules run case-insensitively, so a letter stands for both of its ASCII cases. */
export function caseFolded(set: CharSet): CharSet {
  const extra: Array<[number, number]> = [];
  for (const [lo, hi] of set) {
    for (const [from, to, shift] of [[65, 90, 32], [97, 122, -32]] as const) {
      const a = Math.max(lo, from);
      const b = Math.min(hi, to);
      if (a <= b) extra.push([a + shift, b + shift]);
    }
  }
  return normalize([...set, ...extra]);
}

export const single = (cp: number): CharSet => [[cp, cp]];
export const ANY: CharSet = [[0, MAX_CODE_POINT]];
export const DIGIT: CharSet = [[48, 57]];
export const WORD: CharSet = normalize([[48, 57], [65, 90], [95, 95], [97, 122]]);
export const SPACE: CharSet = normalize([[9, 13], [32, 32], [160, 160], [0x1680, 0x1680], [0x2000, 0x200a], [0x2028, 0x2029], [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000], [0xfeff, 0xfeff]]);
