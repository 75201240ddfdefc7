/**
 * `npm run bench:pii`: runs the PII detector over the labelled set and prints, as Markdown, the
 * per-type precision, recall and F1 (all lines, then the held-out lines), whether masking in each
 * mode leaves any labelled value in the text, and whether `maskPiiFailClosed` fails closed.
 *
 *   npm run bench:pii -- [--data path.jsonl] [--verbose]   (default data: test/fixtures/pii-labelled.jsonl;
 *                                                          --verbose lists every false positive and negative)
 *   npm run bench:pii -- --negatives messages.csv [--verbose]
 *
 * `--negatives` runs the detector over the first column of a CSV of messages expected to hold no
 * PII (the first row is a header; RFC 4180 quoting) and prints how many detections of each type it
 * made, which are all false positives if the expectation holds; `--verbose` lists them.
 *
 * Scoring is the unit test's (test/unit/pii.test.ts) and docs/pii.md's: a detection is a true
 * positive when an unused label has its type and exactly its text; a partial span is both a false
 * positive and a false negative. Exits 1 if masking leaves a detected value in place or fail-closed
 * returns anything but the failure text; missed entities are reported, since they are recall.
 */
import { readFileSync } from "node:fs";
import { registerHooks } from "node:module";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import type { webcrypto } from "node:crypto";
import type { MaskMode, PiiMatch, PiiType } from "../src/privacy/pii.ts";

declare global {
  // src/audit/pii/mask.ts names the Workers global `CryptoKey`; @types/node 22 has it only as
  // `webcrypto.CryptoKey`. An interface merges if a later @types/node adds the global.
  interface CryptoKey extends webcrypto.CryptoKey {}
}

// src/ imports without extensions (the Workers bundler resolves them); Node's type stripping does
// not, so a relative specifier that fails to resolve is retried with `.ts`.
registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      if (!/^\.\.?\//.test(specifier) || /\.[cm]?[jt]s$/.test(specifier)) throw error;
      return nextResolve(`${specifier}.ts`, context);
    }
  },
});
const { detectPii, maskPii, maskPiiFailClosed, PII_FAILURE_TEXT, PII_TYPES } = await import("../src/privacy/pii.ts");

const { values } = parseArgs({
  options: {
    data: { type: "string", default: resolve(import.meta.dirname, "../test/fixtures/pii-labelled.jsonl") },
    verbose: { type: "boolean", default: false },
    negatives: { type: "string" },
  },
});

interface LabelledLine {
  text: string;
  entities: Array<{ type: PiiType; value: string }>;
  split: "dev" | "holdout";
}

function readLabelled(path: string): LabelledLine[] {
  const known: ReadonlySet<string> = new Set(PII_TYPES);
  return readFileSync(path, "utf8")
    .split("\n")
    .map((raw, i) => ({ raw, lineNo: i + 1 }))
    .filter(({ raw }) => raw.trim())
    .map(({ raw, lineNo }) => {
      const line = JSON.parse(raw) as LabelledLine;
      const bad = typeof line.text !== "string" || !Array.isArray(line.entities) || line.entities.some((e) => !known.has(e.type) || !line.text.includes(e.value));
      if (bad) throw new Error(`${path}:${lineNo}: needs { text, entities: [{ type, value }] } with known types and values that occur in the text`);
      return line;
    });
}

interface Counts {
  gold: number;
  detected: number;
  tp: number;
}

/** Per-type counts: each detection is matched to an unused label of its type and exact text. Errors go to `errors`. */
function score(lines: LabelledLine[], errors: string[] = []): Record<PiiType, Counts> {
  const counts = Object.fromEntries(PII_TYPES.map((t) => [t, { gold: 0, detected: 0, tp: 0 }])) as Record<PiiType, Counts>;
  for (const line of lines) {
    const unmatched = line.entities.map((e) => `${e.type}\u0000${e.value}`);
    for (const e of line.entities) counts[e.type].gold++;
    for (const m of detectPii(line.text)) {
      counts[m.type].detected++;
      const i = unmatched.indexOf(`${m.type}\u0000${m.text}`);
      if (i >= 0) {
        unmatched.splice(i, 1);
        counts[m.type].tp++;
      } else {
        errors.push(`FP ${m.type} ${JSON.stringify(m.text)} in ${JSON.stringify(line.text)}`);
      }
    }
    for (const key of unmatched) errors.push(`FN ${key.replace("\u0000", " ")} in ${JSON.stringify(line.text)}`);
  }
  return counts;
}

// As in the unit test, an empty denominator scores 1 (nothing to find, nothing wrongly found).
const ratio = (n: number, d: number): number => (d === 0 ? 1 : n / d);

function row(name: string, c: Counts): string {
  const p = ratio(c.tp, c.detected);
  const r = ratio(c.tp, c.gold);
  const f1 = p + r === 0 ? 0 : (2 * p * r) / (p + r);
  return `| ${name} | ${c.gold} | ${c.detected} | ${c.tp} | ${p.toFixed(3)} | ${r.toFixed(3)} | ${f1.toFixed(3)} |`;
}

function table(title: string, lines: LabelledLine[]): void {
  const errors: string[] = [];
  const counts = score(lines, errors);
  const micro = { gold: 0, detected: 0, tp: 0 };
  for (const c of Object.values(counts)) {
    micro.gold += c.gold;
    micro.detected += c.detected;
    micro.tp += c.tp;
  }
  console.log(`${title}\n`);
  console.log("| type | gold | detected | TP | precision | recall | F1 |");
  console.log("|---|---:|---:|---:|---:|---:|---:|");
  for (const type of PII_TYPES) console.log(row(type, counts[type]));
  console.log(`${row("**micro-average**", micro)}\n`);
  if (values.verbose) console.log(`${errors.map((e) => `- ${e}`).join("\n")}\n`);
}

/** A labelled value that survived masking, or was only partly covered by what the detector found. */
interface Leak {
  mode: MaskMode;
  type: PiiType;
  value: string;
  /** The detector's spans covered every occurrence of the value, so masking should have removed it. */
  covered: boolean;
  /** The whole value is still in the masked text (otherwise only part of it is). */
  whole: boolean;
}

function occurrences(text: string, value: string): number[] {
  const starts: number[] = [];
  for (let i = text.indexOf(value); i >= 0; i = text.indexOf(value, i + 1)) starts.push(i);
  return starts;
}

const isCovered = (matches: PiiMatch[], start: number, end: number): boolean => matches.some((m) => m.start <= start && end <= m.end);

const MODES: Array<{ mode: MaskMode; salt?: string }> = [{ mode: "redact" }, { mode: "last4" }, { mode: "hash", salt: "bench-pii-fixed-salt" }];

async function leaks(lines: LabelledLine[]): Promise<Leak[]> {
  const found: Leak[] = [];
  for (const line of lines) {
    const matches = detectPii(line.text);
    for (const { mode, salt } of MODES) {
      const { text } = await maskPii(line.text, { mode, salt });
      for (const { type, value } of line.entities) {
        const covered = occurrences(line.text, value).every((start) => isCovered(matches, start, start + value.length));
        const whole = text.includes(value);
        if (whole || !covered) found.push({ mode, type, value, covered, whole });
      }
    }
  }
  return found;
}

/** Every line through every mode with a detector that throws: the answer must be the failure text, never the input. */
async function failClosedViolations(lines: LabelledLine[]): Promise<number> {
  const detect = (): PiiMatch[] => {
    throw new Error("bench: detector down");
  };
  let violations = 0;
  for (const line of lines) {
    for (const { mode, salt } of MODES) {
      const out = await maskPiiFailClosed(line.text, { mode, salt, detect });
      if (out.text !== PII_FAILURE_TEXT || !out.failed || out.matches.length > 0) violations++;
    }
  }
  return violations;
}

/** The first field of each record of an RFC 4180 CSV (quoted fields may hold commas, `""` and newlines), header row dropped. */
function readFirstColumn(path: string): string[] {
  const csv = readFileSync(path, "utf8");
  const firsts: string[] = [];
  let field = "";
  let column = 0;
  let quoted = false;
  for (let i = 0; i < csv.length; i++) {
    const c = csv[i]!;
    if (quoted) {
      if (c !== '"') field += c;
      else if (csv[i + 1] === '"') field += csv[++i];
      else quoted = false;
    } else if (c === '"') {
      quoted = true;
    } else if (c === ",") {
      if (column++ === 0) firsts.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && csv[i + 1] === "\n") i++;
      if (column === 0) firsts.push(field);
      field = "";
      column = 0;
    } else {
      field += c;
    }
  }
  if (column === 0 && field) firsts.push(field);
  return firsts.slice(1).filter((message) => message.trim() !== "");
}

/** Detections by type over messages expected to hold no PII: every one is a false positive if the expectation holds. */
function negatives(path: string): void {
  const messages = readFirstColumn(path);
  const counts = Object.fromEntries(PII_TYPES.map((t) => [t, 0])) as Record<PiiType, number>;
  const hits: string[] = [];
  let flagged = 0;
  for (const message of messages) {
    const matches = detectPii(message);
    if (matches.length > 0) flagged++;
    for (const m of matches) {
      counts[m.type]++;
      hits.push(`${m.type} ${JSON.stringify(m.text)} in ${JSON.stringify(message)}`);
    }
  }
  console.log(`PII detector on ${messages.length} messages expected to hold no PII (${path.split("/").slice(-3).join("/")}, first column): ${hits.length} detections in ${flagged} messages.\n`);
  console.log("| type | detections |");
  console.log("|---|---:|");
  for (const type of PII_TYPES) console.log(`| ${type} | ${counts[type]} |`);
  console.log(`| **total** | ${hits.length} |\n`);
  if (values.verbose && hits.length > 0) console.log(`${hits.map((h) => `- ${h}`).join("\n")}\n`);
}

async function labelled(path: string): Promise<void> {
  const lines = readLabelled(path);
  const holdout = lines.filter((l) => l.split === "holdout");
  const entityCount = lines.reduce((n, l) => n + l.entities.length, 0);
  console.log(
    `PII detector on ${lines.length} labelled lines (${path.split("/").slice(-3).join("/")}; ${entityCount} labels, ${lines.filter((l) => l.entities.length === 0).length} lines without PII). Exact match: same type, same text.\n`,
  );
  table(`All ${lines.length} lines`, lines);
  // A file that is all held-out lines (pii-heldout-2.jsonl) would print the same table twice.
  if (holdout.length > 0 && holdout.length < lines.length) {
    table(`Held-out lines only (${holdout.length}; the detector as it is now, not the first run)`, holdout);
  }

  const leaked = await leaks(lines);
  const maskingBugs = leaked.filter((l) => l.covered);
  console.log(`Masking check: is any of the ${entityCount} labelled values still in the text after \`maskPii\` (hash salt fixed)?\n`);
  console.log("| mode | left whole | of which detected (masking bug) | left in part (detector's span too short) |");
  console.log("|---|---:|---:|---:|");
  for (const { mode } of MODES) {
    const inMode = leaked.filter((l) => l.mode === mode);
    console.log(`| ${mode} | ${inMode.filter((l) => l.whole).length} | ${inMode.filter((l) => l.whole && l.covered).length} | ${inMode.filter((l) => !l.whole).length} |`);
  }
  const missed = [...new Map(leaked.filter((l) => !l.covered).map((l) => [`${l.type}\u0000${l.value}`, l])).values()];
  console.log(
    maskingBugs.length === 0
      ? `\n- masking: 0 leaks of detected values in every mode. ${missed.length === 0 ? "No labelled value survives." : `The ${missed.length} values below survive, whole or in part, in every mode because the detector missed them (recall, above):`}`
      : `\n- masking: FAILED, ${maskingBugs.length} detected values left in the output: ${maskingBugs.map((l) => `${l.mode} ${l.type} ${JSON.stringify(l.value)}`).join("; ")}`,
  );
  for (const l of missed) console.log(`  - ${l.type}: ${JSON.stringify(l.value)}${l.whole ? "" : " (in part)"}`);

  const violations = await failClosedViolations(lines);
  const runs = lines.length * MODES.length;
  console.log(
    violations === 0
      ? `- fail-closed: with a detector that throws, all ${runs} calls (${lines.length} lines × ${MODES.length} modes) returned ${JSON.stringify(PII_FAILURE_TEXT)} with failed: true; none returned the input.`
      : `- fail-closed: FAILED, ${violations} of ${runs} calls with a throwing detector returned something other than the failure text.`,
  );
  if (maskingBugs.length > 0 || violations > 0) process.exitCode = 1;
}

if (values.negatives) negatives(values.negatives);
else await labelled(values.data);
