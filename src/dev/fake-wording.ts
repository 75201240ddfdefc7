/**
 * How the fake Messages API words an answer it knows the facts of: like a real model, it says
 * the same facts differently from one request to the next (an opener, sometimes the question
 * restated, a closer), so nothing downstream can rely on byte-equal answers.
 */

const OPENERS = ["", "Thanks for asking. ", "Happy to help with that. ", "Good question. ", "Sure. ", "Of course. "];
const CLOSERS = ["", " Is there anything else I can help with?", " I hope that helps.", " Let me know if you have more questions.", " Have a good day."];

/**
 * The `n`-th wording of `facts` in answer to `question`. Consecutive `n` never give the same
 * text: the opener, the closer and the restating cycle at different periods.
 *
 * @example
 * wordFacts("Cards arrive in 3 days.", "Where is my card?", 0); // "Cards arrive in 3 days."
 * wordFacts("Cards arrive in 3 days.", "Where is my card?", 1); // "Thanks for asking. You asked about: where is my card. Cards arrive in 3 days. Is there anything else I can help with?"
 */
export function wordFacts(facts: string, question: string, n: number): string {
  const opener = OPENERS[n % OPENERS.length]!;
  const closer = CLOSERS[n % CLOSERS.length]!;
  const restated = n % 2 === 1 ? `You asked about: ${question.replace(/[?.!\s]+$/, "").toLowerCase()}. ` : "";
  return `${opener}${restated}${facts}${closer}`;
}
