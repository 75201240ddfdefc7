/**
 * A static check for regular expressions that config supplies and that run on customer text
 * (`optimization.cacheRules[].pattern`). JavaScript's engine backtracks, so some expressions
 * take exponential or high-polynomial time on a crafted message: `(a+)+$` on thirty `a`s and a
 * `!` hangs a worker, and `.*x.*y` takes seconds on two thousand `x`s. This refuses, at config
 * time, the shapes that cause it:
 *
 * - backreferences (`\1`, `\k<name>`): no bound on their cost is known;
 * - a repeat inside a repeat whose length can vary (`(a+)+`, `(a?b)*`, `(?:x{1,3})+`);
 * - a repeated alternation whose branches can start with the same character (`(a|ab)*`, `(\w|\d)+`);
 * - two long repeats that can take the same characters with nothing between them that the
 *   first cannot take too (`\d+\d+`, `.*x.*y`, `\s*.*`): each such pair multiplies the work by
 *   the message length.
 *
 * The check is conservative: it may refuse an expression that happens to be safe, never the
 * other way round for the shapes above. One long repeat alone costs at most the message
 * length squared, which the run-time cap on input length keeps small.
 */
import { ANY, type CharSet, caseFolded, complement, contains, DIGIT, overlaps, single, SPACE, union, WORD } from "./char-set";

/** Why an expression is refused, worded as the fix. */
export type RegexRisk =
  | { kind: "backreference" }
  | { kind: "nested_repeat"; at: string }
  | { kind: "overlapping_alternation"; at: string }
  | { kind: "adjacent_repeats"; at: string };

/** A repeat longer than this is treated as unbounded: `.{0,1000}` costs like `.*`. */
const LONG_REPEAT = 100;

type Node =
  | { type: "chars"; set: CharSet }
  | { type: "seq"; items: Node[] }
  | { type: "alt"; branches: Node[] }
  | { type: "group"; body: Node; zeroWidth: boolean }
  | { type: "repeat"; body: Node; min: number; max: number; src: string }
  | { type: "empty" }
  | { type: "backref" };

// ---------------------------------------------------------------- parser

class Parser {
  #i = 0;
  readonly src: string;
  constructor(src: string) {
    this.src = src;
  }

  parse(): Node {
    return this.#alternation();
  }

  #peek(): string | undefined {
    return this.src[this.#i];
  }

  #alternation(): Node {
    const branches = [this.#sequence()];
    while (this.#peek() === "|") {
      this.#i++;
      branches.push(this.#sequence());
    }
    return branches.length === 1 ? branches[0]! : { type: "alt", branches };
  }

  #sequence(): Node {
    const items: Node[] = [];
    while (this.#i < this.src.length && this.#peek() !== "|" && this.#peek() !== ")") {
      const start = this.#i;
      const atom = this.#atom();
      items.push(this.#quantified(atom, start));
    }
    return items.length === 1 ? items[0]! : { type: "seq", items };
  }

  #quantified(atom: Node, start: number): Node {
    let min: number;
    let max: number;
    const c = this.#peek();
    if (c === "*") [min, max] = [0, Infinity];
    else if (c === "+") [min, max] = [1, Infinity];
    else if (c === "?") [min, max] = [0, 1];
    else if (c === "{") {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.#i));
      if (!m) return atom; // a literal "{" in legacy mode
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === "" ? Infinity : Number(m[3]);
      this.#i += m[0].length - 1;
    } else return atom;
    this.#i++;
    if (this.#peek() === "?") this.#i++; // lazy: same backtracking, other order
    const node: Node = { type: "repeat", body: atom, min, max, src: this.src.slice(start, this.#i) };
    // `a**` does not compile; a quantifier on a repeat would be another repeat.
    return this.#quantified(node, start);
  }

  #atom(): Node {
    const c = this.src[this.#i++]!;
    switch (c) {
      case "(":
        return this.#group();
      case "[":
        return { type: "chars", set: this.#charClass() };
      case ".":
        return { type: "chars", set: ANY };
      case "^":
      case "$":
        return { type: "empty" };
      case "\\":
        return this.#escape(false);
      default:
        return { type: "chars", set: caseFolded(single(c.codePointAt(0)!)) };
    }
  }

  #group(): Node {
    let zeroWidth = false;
    if (this.src.startsWith("?:", this.#i)) this.#i += 2;
    else if (/^\?<?[=!]/.test(this.src.slice(this.#i))) {
      zeroWidth = true;
      this.#i += this.src[this.#i + 1] === "<" ? 3 : 2;
    } else if (this.src.startsWith("?<", this.#i)) {
      const end = this.src.indexOf(">", this.#i);
      this.#i = end < 0 ? this.src.length : end + 1;
    } else if (this.#peek() === "?") {
      // Modifiers such as `(?i:...)`: skip to the colon.
      const colon = this.src.indexOf(":", this.#i);
      this.#i = colon < 0 ? this.src.length : colon + 1;
    }
    const body = this.#alternation();
    if (this.#peek() === ")") this.#i++;
    return { type: "group", body, zeroWidth };
  }

  /** An escape outside a class (`inClass` false) is an atom; inside, the set it stands for. */
  #escape(inClass: true): CharSet;
  #escape(inClass: false): Node;
  #escape(inClass: boolean): Node | CharSet {
    const c = this.src[this.#i++] ?? "\\";
    const set = (s: CharSet): Node | CharSet => (inClass ? s : { type: "chars", set: s });
    switch (c) {
      case "d":
        return set(DIGIT);
      case "D":
        return set(complement(DIGIT));
      case "w":
        return set(WORD);
      case "W":
        return set(complement(WORD));
      case "s":
        return set(SPACE);
      case "S":
        return set(complement(SPACE));
      case "p":
      case "P":
        // A Unicode property: taken as any character, which can only make the check stricter.
        if (this.#peek() === "{") this.#i = Math.max(this.#i, this.src.indexOf("}", this.#i) + 1);
        return set(ANY);
      case "b":
      case "B":
        return inClass ? single(8) : { type: "empty" };
      case "k":
        if (!inClass && this.#peek() === "<") {
          this.#i = Math.max(this.#i, this.src.indexOf(">", this.#i) + 1);
          return { type: "backref" };
        }
        return set(caseFolded(single(107)));
      case "n":
        return set(single(10));
      case "r":
        return set(single(13));
      case "t":
        return set(single(9));
      case "v":
        return set(single(11));
      case "f":
        return set(single(12));
      case "c":
        return set(ANY);
      case "x": {
        const m = /^[0-9a-f]{2}/i.exec(this.src.slice(this.#i));
        if (!m) return set(caseFolded(single(120)));
        this.#i += 2;
        return set(caseFolded(single(parseInt(m[0], 16))));
      }
      case "u": {
        const m = /^(?:\{([0-9a-f]+)\}|([0-9a-f]{4}))/i.exec(this.src.slice(this.#i));
        if (!m) return set(caseFolded(single(117)));
        this.#i += m[0].length;
        return set(caseFolded(single(parseInt(m[1] ?? m[2]!, 16))));
      }
      default:
        if (/[1-9]/.test(c) && !inClass) {
          while (/[0-9]/.test(this.#peek() ?? "")) this.#i++;
          return { type: "backref" };
        }
        if (c === "0") return set(single(0));
        return set(caseFolded(single(c.codePointAt(0)!)));
    }
  }

  #classAtom(): CharSet {
    const c = this.src[this.#i++]!;
    return c === "\\" ? this.#escape(true) : single(c.codePointAt(0)!);
  }

  #charClass(): CharSet {
    const negated = this.#peek() === "^";
    if (negated) this.#i++;
    const parts: CharSet[] = [];
    // In JavaScript "]" always ends a class, even first: `[]` matches nothing and `[^]` anything.
    while (this.#i < this.src.length && this.#peek() !== "]") {
      const lo = this.#classAtom();
      if (this.#peek() === "-" && this.src[this.#i + 1] !== "]" && this.#i + 1 < this.src.length) {
        this.#i++;
        const hi = this.#classAtom();
        const [a] = lo;
        const [b] = hi;
        // A range needs single characters at both ends; `[\d-x]` is three items in legacy mode.
        if (lo.length === 1 && hi.length === 1 && a && b && a[0] === a[1] && b[0] === b[1] && a[0] <= b[0]) parts.push([[a[0], b[0]]]);
        else parts.push(lo, single(45), hi);
      } else parts.push(lo);
    }
    this.#i++; // "]"
    const set = caseFolded(union(...parts));
    return negated ? complement(set) : set;
  }
}

// ---------------------------------------------------------------- analysis

interface Facts {
  /** Every character the node can consume. */
  chars: CharSet;
  /** Characters it can start with. */
  first: CharSet;
  nullable: boolean;
  /** Contains a repeat whose count can vary. */
  varies: boolean;
  /** Contains a long repeat (see LONG_REPEAT). */
  long: boolean;
}

const EMPTY: Facts = { chars: [], first: [], nullable: true, varies: false, long: false };

class Analyzer {
  risk: RegexRisk | null = null;

  facts(node: Node): Facts {
    switch (node.type) {
      case "empty":
        return EMPTY;
      case "backref":
        this.#flag({ kind: "backreference" });
        return { ...EMPTY, chars: ANY, first: ANY, long: true };
      case "chars":
        return { chars: node.set, first: node.set, nullable: false, varies: false, long: false };
      case "group": {
        const body = this.facts(node.body);
        return node.zeroWidth ? { ...EMPTY, varies: body.varies, long: body.long } : body;
      }
      case "alt": {
        const all = node.branches.map((b) => this.facts(b));
        return {
          chars: union(...all.map((f) => f.chars)),
          first: union(...all.map((f) => f.first)),
          nullable: all.some((f) => f.nullable),
          varies: all.some((f) => f.varies),
          long: all.some((f) => f.long),
        };
      }
      case "seq":
        return this.#sequence(node.items);
      case "repeat":
        return this.#repeat(node);
    }
  }

  #flag(risk: RegexRisk): void {
    this.risk ??= risk;
  }

  #repeat(node: Extract<Node, { type: "repeat" }>): Facts {
    const body = this.facts(node.body);
    if (node.max > 1) {
      if (body.varies) this.#flag({ kind: "nested_repeat", at: node.src });
      const alt = alternationOf(node.body);
      if (alt) {
        const firsts = alt.branches.map((b) => new Analyzer().facts(b).first);
        if (firsts.some((f, i) => firsts.slice(i + 1).some((g) => overlaps(f, g)))) {
          this.#flag({ kind: "overlapping_alternation", at: node.src });
        }
      }
    }
    return {
      chars: body.chars,
      first: body.first,
      nullable: node.min === 0 || body.nullable,
      varies: body.varies || node.min !== node.max,
      long: body.long || node.max > LONG_REPEAT,
    };
  }

  #sequence(items: Node[]): Facts {
    const all = items.map((item) => ({ item, facts: this.facts(item) }));
    // A long repeat, then (after anything it can also take, or that may be skipped) another
    // long repeat sharing characters with it: each way to split the text between them is tried.
    all.forEach(({ item, facts }, i) => {
      if (!facts.long) return;
      for (const next of all.slice(i + 1)) {
        // Only where the next repeat can start on a character the first could have taken is the split ambiguous.
        if (next.facts.long && overlaps(facts.chars, next.facts.first)) {
          this.#flag({ kind: "adjacent_repeats", at: `${sourceOf(item)}…${sourceOf(next.item)}` });
          return;
        }
        if (!next.facts.nullable && !contains(facts.chars, next.facts.chars)) return;
      }
    });
    let first: CharSet = [];
    let nullable = true;
    for (const { facts } of all) {
      if (!nullable) break;
      first = union(first, facts.first);
      nullable = facts.nullable;
    }
    return {
      chars: union(...all.map(({ facts }) => facts.chars)),
      first,
      nullable,
      varies: all.some(({ facts }) => facts.varies),
      long: all.some(({ facts }) => facts.long),
    };
  }
}

function alternationOf(node: Node): Extract<Node, { type: "alt" }> | null {
  if (node.type === "alt") return node;
  if (node.type === "group" && !node.zeroWidth) return alternationOf(node.body);
  return null;
}

function sourceOf(node: Node): string {
  return node.type === "repeat" ? node.src : "(…)";
}

/**
 * The first shape in `pattern` that can make matching slow on crafted input, or null when
 * none is found. The pattern must already compile.
 *
 * @example
 * regexRisk("opening hours?");  // null
 * regexRisk("(a+)+$");          // { kind: "nested_repeat", at: "(a+)+" }
 * regexRisk("(.*)x(.*)y");      // { kind: "adjacent_repeats", at: "(…)…(…)" }
 */
export function regexRisk(pattern: string): RegexRisk | null {
  const analyzer = new Analyzer();
  analyzer.facts(new Parser(pattern).parse());
  return analyzer.risk;
}

/**
 * The config error for a risky expression: the rule it breaks and how to rewrite it.
 *
 * @example
 * regexRiskMessage({ kind: "backreference" });
 * // "must not use backreferences (\\1, \\k<name>): ..."
 */
export function regexRiskMessage(risk: RegexRisk): string {
  switch (risk.kind) {
    case "backreference":
      return "must not use backreferences (\\1, \\k<name>): they can make matching take exponential time; match the text without referring back";
    case "nested_repeat":
      return `must not repeat a part that itself repeats a varying number of times ("${risk.at}"): a crafted message makes matching take exponential time; repeat only the inner part, e.g. "(a+)+" → "a+"`;
    case "overlapping_alternation":
      return `must not repeat alternatives that can start with the same character ("${risk.at}"): a crafted message makes matching take exponential time; make the alternatives start with different characters, or drop the repeat`;
    case "adjacent_repeats":
      return `must not have two long repeats that can match the same text one after the other ("${risk.at}"): each such pair multiplies the matching time by the message length; drop the leading or trailing ".*" (a rule matches anywhere in the message) or make the parts distinct`;
  }
}
