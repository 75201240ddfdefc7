import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { prng } from "../src/core/random.ts";

/** Real customer queries labelled by intent (see ../shared/data/SOURCES.md); read in place, never copied. */
export const DEFAULT_DATASET = resolve(import.meta.dirname, "../../shared/data/banking77/train.csv");
/** CLINC150's out-of-scope queries, in the same `text,category` form (category `oos`). */
export const OUT_OF_SCOPE_DATASET = resolve(import.meta.dirname, "../../shared/data/clinc150-oos/oos.csv");

export interface LabelledQuery {
  text: string;
  category: string;
}

/** RFC 4180 enough for this file: quoted fields with doubled quotes. */
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
