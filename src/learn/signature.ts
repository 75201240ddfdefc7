/**
 * What a pattern's answers say, as opposed to how they say it: its signature is the set of word
 * bigrams (hashed) that most of its member answers share (wording that varies, such as openers
 * and closers, does not) and that no other group's answers share too (a fixed sign-off). A model answer agrees with a pattern when it
 * carries most of the signature: that is how a canary's shadow traffic is judged, on the facts,
 * never on byte equality.
 *
 * The same signature cuts a member answer down to the pattern's canonical answer: only the
 * sentences that carry the shared facts are kept, so the pattern never repeats one customer's
 * question back to another ("You asked about: …") or a greeting that was one answer's.
 */
import { normalizeText } from "../cost/text/normalize.ts";
import { fnv1a } from "./features.ts";

/** Share of a group's answers a bigram must appear in to be one of its facts. */
export const FACT_SHARE = 0.6;
/** Share of the signature a model answer must carry to agree. */
export const AGREEMENT = 0.7;
/** Facts a signature needs before anything can be judged against it. */
export const MIN_FACTS = 3;

/** The distinct hashed word bigrams of a text. */
export function bigrams(text: string): Set<number> {
  const words = normalizeText(text.slice(0, 4_000))
    .split(/\s+/)
    .map((w) => w.replace(/[^\p{L}\p{N}]+/gu, ""))
    .filter(Boolean);
  const out = new Set<number>();
  for (let i = 0; i + 1 < words.length; i++) out.add(fnv1a(`${words[i]} ${words[i + 1]}`));
  return out;
}

/** Bigrams most answers of a group share. */
function shared(answers: readonly string[]): number[] {
  const df = new Map<number, number>();
  for (const a of answers) for (const b of bigrams(a)) df.set(b, (df.get(b) ?? 0) + 1);
  return [...df].filter(([, n]) => n >= FACT_SHARE * answers.length).map(([b]) => b);
}

/** Bigrams that most answers of more than one group share: the agent's way of speaking, or facts that tell no group apart. */
export function commonBigrams(groups: ReadonlyArray<readonly string[]>): Set<number> {
  const seen = new Set<number>();
  const common = new Set<number>();
  for (const g of groups) for (const b of shared(g)) (seen.has(b) ? common : seen).add(b);
  return common;
}

/** The facts a group's answers share (sorted hashes); empty when they share fewer than `MIN_FACTS`. */
export function signatureOf(answers: readonly string[], common: ReadonlySet<number>): number[] {
  const facts = shared(answers).filter((b) => !common.has(b));
  return facts.length >= MIN_FACTS ? facts.sort((a, b) => a - b) : [];
}

/** Share of the signature an answer carries (0 for an empty signature). */
export function overlap(signature: readonly number[], answer: string): number {
  if (signature.length === 0) return 0;
  const have = bigrams(answer);
  return signature.filter((b) => have.has(b)).length / signature.length;
}

/** Whether a model answer says what the pattern says. */
export function agrees(signature: readonly number[], answer: string): boolean {
  return signature.length >= MIN_FACTS && overlap(signature, answer) >= AGREEMENT;
}

/** Share of a signature's facts a sentence must carry to be one of the pattern's. */
export const SENTENCE_FACTS = 0.2;

/**
 * The sentences of `answer` that carry the signature's facts (at least `SENTENCE_FACTS` of
 * them), in order; empty when none does (such a pattern is not valid). A greeting or a restated
 * question carries none, since the signature holds only what most answers say and no other
 * group does. Sentences end at `.`, `!`, `?` or a line break.
 *
 * @example
 * // signature of "Cards arrive in 3 days. Track them in the app." across many answers
 * canonicalText("Good question. Cards arrive in 3 days. Track them in the app. Have a good day.", sig);
 * // "Cards arrive in 3 days. Track them in the app."
 */
export function canonicalText(answer: string, signature: readonly number[]): string {
  const facts = new Set(signature);
  const needed = Math.max(1, SENTENCE_FACTS * facts.size);
  const sentences = answer.match(/[^.!?\n]+[.!?]*[^\S\n]*\n*/g) ?? [answer];
  const kept = sentences.filter((s) => {
    let inside = 0;
    for (const g of bigrams(s)) if (facts.has(g)) inside += 1;
    return inside >= needed;
  });
  return kept.join("").trim();
}
