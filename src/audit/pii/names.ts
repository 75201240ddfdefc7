/**
 * Person names, only after an explicit cue, and kept conservative: one to three capitalised
 * tokens (particles such as "van" or "de" allowed between them), none of them a common word.
 * Strong cues ("my name is", "Name:", "Mr") take the tokens as they are; weak cues ("I'm",
 * "this is … from", a sign-off) also need what follows to look like the end of a name.
 */
import { piiMatch, type PiiMatch } from "./types";

/** A capitalised token ("Anne-Marie", "O'Brien", "McDonald") or an initial ("J."). */
const TOKEN = /(?:\p{Lu}\.(?=[ \t]+\p{Lu})|\p{Lu}[\p{Ll}'’-]*(?:\p{Lu}\p{Ll}+)?(?![\p{L}\p{N}]))/uy;
const GAP = /[ \t]+(?:(?:van|von|der|den|de|da|di|du|del|della|la|le|bin|ibn|al)[ \t]+){0,2}/uy;

/** Capitalised words that follow the cues but are not names ("I'm Sorry", "Thanks, Team"). */
const NOT_NAMES = new Set(
  (
    "I I'm I'll I've I'd Im A An The This That These Those It Its My Your Our Their We You He She They Me Us Him Her " +
    "Not So Very Just Really Still Also Here There Now Today Tomorrow Yesterday Already Always Never Currently " +
    "Sorry Fine Good Great Well Ok OK Okay Hi Hello Hey Dear Thanks Thank Please Yes No Sure Done Ready Aware Able " +
    "Afraid Unable Trying Looking Writing Calling Having Going Getting Waiting Contacting Reaching Following Asking " +
    "Wondering Hoping Planning Moving Leaving Travelling Traveling Abroad Overseas Locked Stuck Charged " +
    "New Back Happy Glad Confused Worried Frustrated Annoyed Upset Angry Disappointed Concerned Interested Curious " +
    "Totally Completely Absolutely Definitely Probably Actually Literally Retired Unemployed Home Away Out In On At " +
    "About From With For And Or But If When What Why How Who Where Is Are Was Were Will Can Could Would Should " +
    "Do Does Did Have Has Had Be Been Am Team Support Customer Customers Service Services Bank Account Card Manager " +
    "Admin Agent Staff Everyone All Guys Folks Sir Madam Mr Mrs Ms Miss Dr Prof Mom Mum Dad Regards Best Cheers Kind Warm Many " +
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July " +
    "August September October November December American British Canadian English French German Spanish Italian " +
    "Indian Chinese Australian Irish Scottish Street Road Avenue Ltd Inc Corp LLC GmbH"
  ).split(" "),
);

type CueKind = "strong" | "sentence" | "intro" | "signoff";

/** Cue phrases, matched case-insensitively; the name after them is matched case-sensitively. */
const CUES: ReadonlyArray<[CueKind, RegExp]> = [
  [
    "strong",
    /(?<![\p{L}])(?:my (?:full |first |last |legal )?name is(?: now| actually)?|my name's|(?:his|her|their|the (?:account|card|cardholder|account holder)(?:['’]s)?) (?:full )?name is|name on (?:the |my )?(?:card|account) is|under the name(?: of)?|i am called|je m['’]appelle|ich hei(?:ß|ss)e|mein name ist|me llamo|mi chiamo)[ \t]+/giu,
  ],
  [
    "strong",
    /(?<![\p{L}])(?<!(?:file|user|host|product|company|business|display|domain|device|network|brand|store|shop|model|event|project|team|plan|package|wifi|field|app|bank|merchant|pet|dog|cat|street|city|town|country) )(?:(?:full|first|last|legal|customer|contact|sender|recipient|account holder|cardholder|card holder|beneficiary)[ \t])?name[ \t]*:[ \t]*/giu,
  ],
  ["strong", /(?<![\p{L}])(?:account holder|cardholder|card holder|beneficiary)[ \t]*:[ \t]*/giu],
  ["strong", /(?<![\p{L}])(?:Mr|Mrs|Ms|Miss|Mx|Mme|Herr|Frau)\.?[ \t]+/gu],
  ["sentence", /(?<![\p{L}])(?:i['’]m|i am)[ \t]+/giu],
  ["intro", /(?<![\p{L}])this is[ \t]+/giu],
  [
    "signoff",
    /(?:^|[\n.!?][ \t]*)(?:signed|regards|kind regards|best regards|warm regards|many thanks|thanks|thank you|sincerely|yours sincerely|yours faithfully|yours truly|cheers|best wishes|best)[ \t]*[,!.-]?\s{0,4}/giu,
  ],
];

/** What must follow a name found after a weak cue. */
const FOLLOWS: Record<Exclude<CueKind, "strong">, RegExp> = {
  sentence: /^(?:$|[ \t]*[,.!?;:)\n]|[ \t]+(?:and|from|here|calling|writing|speaking|with)(?![\p{L}]))/u,
  // Not "calling": customers quote scam calls that open with "this is Amazon calling".
  intro: /^[ \t]*,?[ \t]+(?:from|here|speaking)(?![\p{L}])/u,
  signoff: /^[ \t]*[.!]?[ \t]*(?:$|\n)/u,
};

/** The end of one to three name tokens at `start`, or -1. */
function nameEnd(text: string, start: number): number {
  let end = -1;
  let at = start;
  for (let tokens = 0; tokens < 3; tokens++) {
    TOKEN.lastIndex = at;
    const token = TOKEN.exec(text);
    if (!token || NOT_NAMES.has(token[0].replace(/[’]/g, "'"))) break;
    if (!token[0].endsWith(".")) end = at + token[0].length;
    GAP.lastIndex = at + token[0].length;
    const gap = GAP.exec(text);
    if (!gap) break;
    at = GAP.lastIndex;
  }
  return end;
}

export function detectPersonNames(text: string): PiiMatch[] {
  const found: PiiMatch[] = [];
  for (const [kind, cue] of CUES) {
    for (const m of text.matchAll(cue)) {
      const start = m.index + m[0].length;
      const end = nameEnd(text, start);
      if (end < 0) continue;
      if (kind !== "strong" && !FOLLOWS[kind].test(text.slice(end, end + 16))) continue;
      // "I'm Reading …": a weak cue followed by a gerund is a verb phrase, not a name.
      if (kind === "sentence" && /ing$/.test(text.slice(start, end).split(/\s/)[0]!)) continue;
      found.push(piiMatch("person_name", text, start, end));
    }
  }
  return found;
}
