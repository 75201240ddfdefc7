/**
 * banking77 (real customer queries of a bank, labelled by intent; see shared/data/SOURCES.md),
 * read in place from the shared data directory, never copied into the repository. The benches,
 * the fake Messages API and `npm run demo` share the reader and the facts each intent's answers
 * carry, so an answer means the same thing to all of them.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { prng } from "../core/random.ts";
import { fnv1a } from "../learn/features.ts";

/** Where a checkout beside the shared data finds banking77 (`<checkout>/../shared/data/banking77`). */
export const BANKING77_DIR = resolve(import.meta.dirname, "../../../shared/data/banking77");

export interface LabelledQuery {
  text: string;
  category: string;
}

/** RFC 4180 enough for these files: quoted fields with doubled quotes. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += ch;
  }
  if (field || row.length) rows.push([...row, field]);
  return rows;
}

/** A `text,category` CSV with a header row. */
export function readLabelledQueries(path: string): LabelledQuery[] {
  return parseCsv(readFileSync(path, "utf8"))
    .slice(1)
    .map((r) => ({ text: r[0]?.trim() ?? "", category: r[1]?.trim() ?? "" }))
    .filter((q) => q.text !== "" && q.category !== "");
}

/** A deterministic shuffle (mulberry32), so two runs replay the same traffic. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = prng(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const COLORS = ["blue", "green", "red", "gold", "grey", "white"];

/**
 * An intent's facts: what every answer to it says, whatever the wording. `oos:<n>` (an
 * out-of-scope query) gets facts of its own that share nothing with another query's.
 *
 * @example
 * factsOf("card_arrival"); // "For card arrival, policy CAR-… applies: it is handled within … working days and the … card arrival page of the app shows where it stands."
 */
export function factsOf(category: string): string {
  const h = fnv1a(category);
  if (category.startsWith("oos:")) {
    return `Case ${h.toString(36).toUpperCase()} is noted under ${(h % 9_000) + 1_000} and ${((h >>> 8) % 900) + 100}.`;
  }
  const topic = category.replaceAll("_", " ");
  return `For ${topic}, policy ${topic.slice(0, 3).toUpperCase()}-${h % 1_000} applies: it is handled within ${(h % 9) + 1} working days and the ${COLORS[h % COLORS.length]} ${topic} page of the app shows where it stands.`;
}

/** The key a question is known by: case, spacing and invisible characters do not matter. */
export function questionKey(text: string): string {
  return text.normalize("NFC").replace(/[\u200b\u2060\ufeff\u00ad]/g, "").replace(/\s+/g, " ").trim().toLowerCase();
}

/**
 * Every question of the banking77 CSV files in `dir` (`train.csv`, and `test.csv` where present)
 * mapped by `questionKey` to its intent's facts; null when `dir` holds no `train.csv`.
 */
export function loadKnownQuestions(dir: string): Map<string, string> | null {
  if (!existsSync(join(dir, "train.csv"))) return null;
  const known = new Map<string, string>();
  for (const file of ["train.csv", "test.csv"]) {
    const path = join(dir, file);
    if (!existsSync(path)) continue;
    for (const q of readLabelledQueries(path)) known.set(questionKey(q.text), factsOf(q.category));
  }
  return known;
}
