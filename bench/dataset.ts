import { resolve } from "node:path";

/** Real customer queries labelled by intent (see ../shared/data/SOURCES.md); read in place, never copied. */
export const DEFAULT_DATASET = resolve(import.meta.dirname, "../../shared/data/banking77/train.csv");
/** CLINC150's out-of-scope queries, in the same `text,category` form (category `oos`). */
export const OUT_OF_SCOPE_DATASET = resolve(import.meta.dirname, "../../shared/data/clinc150-oos/oos.csv");

export { type LabelledQuery, readLabelledQueries, shuffled } from "../src/dev/banking77.ts";
