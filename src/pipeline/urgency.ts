/**
 * Urgency of an incoming customer message, for `messageHandling.detectUrgency`: a weighted sum of
 * cues read from the text (and, for email, the Subject and the Importance / X-Priority header).
 * Pure and synchronous: no network, no clock, no state, so it runs in a Worker on every message.
 *
 * - A safety cue (fraud, stolen card, hacked account, a transaction the customer did not make,
 *   locked out of their money, emergency, outage, data breach, self-harm, a medical emergency)
 *   weighs 10 and alone makes the message `critical`: hand it to a human.
 * - Everything else (urgency words 3 or 2, a deadline 2, shouting / `!!` / `?!` up to 3, email
 *   flags 2 each) is capped at 9, so it can make a message `high` (score ≥ 3) but never critical.
 * - "no rush", "not urgent", "non-emergency" cancel the urgency words and deadlines (cue
 *   `negated`), never a safety cue.
 *
 * Words are matched on whole tokens (lowercased, accents folded), so "fraudulent" is listed on
 * purpose and "asap" inside another word never matches. Only the first 4,000 characters are read,
 * and no regex here can backtrack: phrases are looked up token by token, not matched by a regex.
 * Cues, weights and measured figures on banking77: docs/urgency.md.
 */
import type { Urgency, UrgencyVerdict } from "../core/types";

export type { UrgencyVerdict } from "../core/types";

/** One incoming message as the classifier reads it. */
export interface UrgencyInput {
  text: string;
  channel: "http" | "slack" | "email" | "sms";
  /** email Subject, Importance/X-Priority header values, Slack/SMS nothing */
  subject?: string;
  priorityHeader?: string;
}


const MAX_TEXT_CHARS = 4_000;
const MAX_SUBJECT_CHARS = 300;

const HIGH_AT = 3;
const CRITICAL_AT = 10;
const SAFETY_WEIGHT = CRITICAL_AT;
/** Without a safety cue a message tops out at `high`: an angry customer is not an emergency. */
const SIGNAL_CAP = CRITICAL_AT - 1;
const KEYWORD_CAP = 6;
const INTENSITY_CAP = 3;
const STRONG_KEYWORD = 3;
/** "right now" as often says when as how urgently ("how's the exchange rate right now?"). */
const WEAK_KEYWORD = 2;
const CUE_WEIGHTS: Readonly<Record<string, number>> = {
  deadline: 2,
  shouting: 2,
  exclamations: 1,
  interrobang: 1,
  "email:importance-high": 2,
  "email:subject-urgent": 2,
};

/**
 * The lexicon, one cue per line. `;` separates phrases, `{a|b|}` expands to alternatives (an empty
 * one makes the group optional). Phrases are folded and tokenised exactly like the message, so
 * accents and apostrophes may be written naturally. `disown` and `deescalate` are not cues
 * themselves; `ignore` masks a phrase that would otherwise match ("emergency contact").
 */
const LEXICON: ReadonlyArray<readonly [string, string]> = [
  ["safety:fraud", "fraud; frauds; fraudulent; fraudulently; fraudster; fraudsters; scam; scams; scammed; scammer; scammers; phishing; fraude; fraudes; fraudulento; fraudulenta; estafa; estafado; estafada; frauduleux; frauduleuse; arnaque; arnaqué; escroquerie; escroc; betrug; betrüger; betrügerisch; betrügerische; betrügerischen; golpista"],
  ["safety:stolen", "stolen; stole; someone took my {card|cards|wallet|purse|bag|phone}; theft; robbed; mugged; pickpocketed; robado; robada; robaron; volé; volée; volés; volées; gestohlen; geklaut; roubado; roubada; roubaram; furtado; furtada"],
  ["safety:hacked", "hacked; hacker; hackers; hacking; hijacked; compromised; someone {else |}{used|is using|has used|has been using|accessed|has accessed|logged into|got into} my; someone {else |besides me |}{might be|may be|could be|must be|is|has been} using my; someone {may have|might have|has|had} {gained|had|got} access to my; someone {has|might have|may have|could have} access to my; gehackt; kompromittiert; hackeado; hackeada; piraté; piratée; conta invadida"],
  ["safety:unauthorized-transaction", "unauthorised; unauthorized; suspicious {activity|spending}; without my {permission|consent|authorisation|authorization|knowledge}; no autorizado; no autorizada; non autorisé; non autorisée; nicht autorisiert; não autorizado; não autorizada"],
  ["safety:locked-out", "locked out; locked me out; locked myself out; {can't|cant|cannot|can not|couldn't|could not|unable to} {access|get to|get into|get at} my {money|funds|account|accounts|savings|cash}; no access to my {money|funds|account|savings|cash}; {account|funds|money} {is|are|was|were|has been|have been|got|} {frozen|suspended}; frozen account; no puedo acceder a mi {cuenta|dinero}; cuenta bloqueada; compte bloqué; konto gesperrt; ausgesperrt; conta bloqueada"],
  ["safety:emergency", "emergency; emergencies; emergencia; emergência; notfall"],
  ["safety:outage", "outage; outages; {site|website|app|system|systems|service|services|server|servers|platform|portal|checkout|api|network} {is|are|was|were|went|has gone|have gone|seems|seems to be|} down; {site's|app's|system's|server's|website's} down; down for everyone; caída del sistema; sistema caído; servicio caído; en panne; panne; ausfall; systemausfall; störung; fora do ar; sistema caiu"],
  ["safety:data-breach", "breach; breached; data leak; data leaked; leaked my {data|details|information}; my {data|details|information} {was|were|has been|have been|got} leaked; filtración de datos; fuite de données; datenleck; datenpanne; vazamento de dados"],
  ["safety:self-harm", "suicide; suicidal; kill myself; killing myself; end my life; take my own life; self harm; self harming; harm myself; hurt myself; want to die; suicidio; suicidarme; quitarme la vida; me suicider; selbstmord; suizid; suizidal; suicídio; me matar"],
  ["safety:medical", "chest pain; chest pains; overdose; overdosed; overdosing; heart attack; {can't|cant|cannot|can not} breathe; not breathing; unconscious; seizure; anaphylactic; anaphylaxis; dolor en el pecho; sobredosis; douleur thoracique; surdose; brustschmerzen; überdosis; herzinfarkt; dor no peito"],
  ["keyword:urgent", "urgent; urgently; urgency; time sensitive; time critical; urgente; urgentes; urgentemente; urgence; dringend; dringende; dringenden; eilig; eilt"],
  ["keyword:asap", "asap; a s a p; as soon as possible; lo antes posible; lo más pronto posible; cuanto antes; au plus vite; dès que possible; le plus vite possible; so schnell wie möglich; schnellstmöglich; o mais rápido possível; o quanto antes"],
  ["keyword:critical", "critical; crítico; crítica; critique; kritisch"],
  ["keyword:immediately", "immediately; right away; straight away; at once; inmediatamente; de inmediato; immédiatement; tout de suite; sofort; imediatamente"],
  ["keyword:right-now", "right now; ahora mismo; agora mesmo"],
  ["deadline", "today; tonight; deadline; deadlines; within the hour; within {an|the|one|1|2|a few|the next} {hour|hours|minutes|mins}; end of {the |}{day|business day}; eod; cob; close of business; {by|before} {tomorrow|tonight|today|noon|midnight|monday|tuesday|wednesday|thursday|friday|saturday|sunday|the weekend|eod|cob|close of business|{the |}end of {the |}{day|week}}; hoy; esta noche; aujourd'hui; ce soir; date limite; heute; heute abend; frist; hoje; esta noite; prazo"],
  ["deescalate", "no rush; no hurry; no pressure; no urgency; no need to {rush|hurry}; not in a {rush|hurry}; in no {rush|hurry}; whenever you {can|get a chance|get the chance|have time|are free}; whenever convenient; when you get {a|the} chance; when you have {a moment|time|a minute}; in your own time; take your time; low priority; nonurgent; sin prisa; no hay prisa; no corre prisa; cuando puedas; rien ne presse; pas pressé; quand vous aurez le temps; keine eile; eilt nicht; sem pressa; quando puder; não tem pressa"],
  ["disown", "{didn't|didnt|did not|never|haven't|havent|have not} {make|made|authorise|authorize|authorised|authorized|approve|approved|do|done|perform|performed|purchase|purchased|buy|bought|request|requested|submit|submitted}; {don't|dont|do not|can't|cant|cannot} {recall|recall making|remember making}; {don't|dont|do not|didn't|didnt|did not|can't|cant|cannot} {recognise|recognize}; {not|isn't|isnt|wasn't|wasnt} {recognised|recognized|mine}; {wasn't|wasnt|isn't|isnt|not|not been|not be|never} done by me; unrecognised; unrecognized; unknown; unfamiliar; suspicious; questionable; wasn't me; wasnt me; not me; no {reconozco|hice|autoricé}; ne reconnais pas; je n'ai pas fait; não {reconheço|fiz|autorizei}"],
  ["ignore", "emergency contact; emergency contacts"],
];

/** Nouns that make a `disown` phrase nearby mean a transaction the customer says is not theirs. */
const TRANSACTION_NOUNS = new Set(["charge", "charges", "transaction", "transactions", "payment", "payments", "purchase", "purchases", "withdrawal", "withdrawals", "debit", "debits", "transfer", "transfers", "cargo", "cargos", "pago", "pagos", "compra", "compras", "transaccion", "paiement", "prelevement", "achat", "cobranca", "pagamento", "transacao"]);
const DISOWN_REACH = 10;

/** Words that, up to three tokens before a term in the same clause, negate it. */
const NEGATORS = new Set(["not", "no", "non", "nothing", "never", "isn't", "isnt", "wasn't", "wasnt", "aren't", "arent", "ain't", "don't", "dont", "doesn't", "doesnt", "hardly", "nada", "nunca", "sin", "rien", "pas", "aucun", "aucune", "jamais", "nicht", "kein", "keine", "keinen", "nie", "nao", "nem", "sem"]);
const NEGATION_REACH = 3;
/** "not sure it's fraud", "not only stolen": the negator qualifies the speaker, not the term. */
const HEDGES = new Set(["sure", "certain", "only", "just"]);

/** Words that count as urgency words only when followed by "!": "Help!", "now!". */
const BANG_WORDS = new Map([
  ["help", "keyword:help"], ["ayuda", "keyword:help"], ["aide", "keyword:help"], ["hilfe", "keyword:help"], ["socorro", "keyword:help"],
  ["now", "keyword:right-now"], ["ahora", "keyword:right-now"], ["maintenant", "keyword:right-now"], ["jetzt", "keyword:right-now"], ["agora", "keyword:right-now"],
]);
const WEAK_KEYWORDS = new Set(["keyword:right-now"]);

/** All-caps words of four letters or more that are names, not shouting. */
const ACRONYMS = new Set(["iban", "ibans", "swift", "sepa", "visa", "bacs", "chaps", "amex", "hsbc", "bbva", "asap", "atms", "pins", "uber"]);
const REPLY_PREFIXES = new Set(["re", "fw", "fwd", "aw", "wg", "tr", "rv", "sv", "vs", "res", "enc"]);
const URGENT_SUBJECT_WORDS = new Set(["urgent", "urgente", "dringend", "asap", "eilig"]);

interface Token {
  /** Lowercased, accents folded, French elision ("d'", "l'", "qu'") removed. */
  word: string;
  raw: string;
  end: number;
  /** Increases at sentence and clause punctuation; negation never reaches across it. */
  clause: number;
}

// Each repetition starts with an apostrophe, which the class before it cannot match: linear.
const WORD = /[\p{L}\p{M}\p{N}]+(?:'[\p{L}\p{M}\p{N}]+)*/gu;
const CLAUSE_BREAK = /[.!?;:,\n]/;
const ELISION = /^(?:[cdjlmnst]|qu)'(?=.)/;
const TIME_TOKEN = /^\d{1,2}(?:am|pm|h)$/;

const fold = (word: string): string => word.toLowerCase().normalize("NFD").replace(/\p{M}/gu, "").replace(ELISION, "");

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let clause = 0;
  let last = 0;
  for (const m of text.matchAll(WORD)) {
    if (CLAUSE_BREAK.test(text.slice(last, m.index))) clause++;
    last = m.index + m[0].length;
    tokens.push({ word: fold(m[0]), raw: m[0], end: last, clause });
  }
  return tokens;
}

function expand(phrase: string): string[] {
  const open = phrase.indexOf("{");
  if (open < 0) return [phrase];
  let depth = 0;
  let close = open;
  const options: string[] = [];
  let from = open + 1;
  for (; close < phrase.length; close++) {
    const c = phrase[close];
    if (c === "{") depth++;
    else if (c === "}" && --depth === 0) break;
    else if (c === "|" && depth === 1) {
      options.push(phrase.slice(from, close));
      from = close + 1;
    }
  }
  options.push(phrase.slice(from, close));
  const rest = phrase.slice(close + 1);
  return options.flatMap((option) => expand(phrase.slice(0, open) + option + rest));
}

interface Phrase {
  words: string[];
  cue: string;
}

/** Phrases by first word, longest first, so the longest match at a position wins. */
const PHRASES: ReadonlyMap<string, Phrase[]> = (() => {
  const byFirst = new Map<string, Phrase[]>();
  for (const [cue, list] of LEXICON) {
    for (const phrase of list.split(";").flatMap((p) => expand(p.trim()))) {
      const words = tokenize(phrase).map((t) => t.word);
      const first = words[0];
      if (first === undefined) continue;
      byFirst.set(first, [...(byFirst.get(first) ?? []), { words, cue }]);
    }
  }
  for (const list of byFirst.values()) list.sort((a, b) => b.words.length - a.words.length);
  return byFirst;
})();

interface Hit {
  cue: string;
  start: number;
  end: number;
}

function matchAt(tokens: Token[], i: number): Phrase | undefined {
  return PHRASES.get(tokens[i]?.word ?? "")?.find((p) => p.words.every((w, k) => tokens[i + k]?.word === w));
}

/** "by 5pm", "by 17:00", "by 5 pm": a time after "by" is a deadline. */
function isTimeAfterBy(text: string, tokens: Token[], i: number): boolean {
  const next = tokens[i + 1];
  if (tokens[i]?.word !== "by" || next === undefined) return false;
  if (TIME_TOKEN.test(next.word)) return true;
  if (!/^\d{1,2}$/.test(next.word)) return false;
  const after = tokens[i + 2]?.word;
  return text[next.end] === ":" || after === "am" || after === "pm" || after === "o'clock";
}

function followedByBang(text: string, token: Token): boolean {
  return /^\s?\?*!/.test(text.slice(token.end, token.end + 4));
}

function isNegated(tokens: Token[], start: number): boolean {
  const clause = tokens[start]?.clause;
  for (let j = start - 1; j >= Math.max(0, start - NEGATION_REACH); j--) {
    const token = tokens[j];
    if (token === undefined || token.clause !== clause) return false;
    if (NEGATORS.has(token.word) && !HEDGES.has(tokens[j + 1]?.word ?? "")) return true;
  }
  return false;
}

/** Left to right, longest match first; a match consumes its tokens. */
function scanPhrases(text: string, tokens: Token[]): Hit[] {
  const hits: Hit[] = [];
  for (let i = 0; i < tokens.length; ) {
    const token = tokens[i] as Token;
    const phrase = matchAt(tokens, i);
    if (phrase) {
      hits.push({ cue: phrase.cue, start: i, end: i + phrase.words.length });
      i += phrase.words.length;
      continue;
    }
    const bang = BANG_WORDS.get(token.word);
    if (bang && followedByBang(text, token)) hits.push({ cue: bang, start: i, end: i + 1 });
    else if (isTimeAfterBy(text, tokens, i)) hits.push({ cue: "deadline", start: i, end: i + 2 });
    i++;
  }
  return hits;
}

/** A disowning phrase within a few tokens of a transaction noun, in the same clause. */
function disownsTransaction(tokens: Token[], hits: Hit[]): boolean {
  return hits.some((hit) => {
    if (hit.cue !== "disown") return false;
    const clause = tokens[hit.start]?.clause;
    const from = Math.max(0, hit.start - DISOWN_REACH);
    const to = Math.min(tokens.length, hit.end + DISOWN_REACH);
    for (let j = from; j < to; j++) {
      const token = tokens[j] as Token;
      if (token.clause === clause && TRANSACTION_NOUNS.has(token.word)) return true;
    }
    return false;
  });
}

function intensityCues(text: string, tokens: Token[]): string[] {
  const cues: string[] = [];
  // Distinct words: the email handler repeats the Subject line at the top of the body.
  const shouted = new Set<string>();
  for (const { raw, word } of tokens) {
    const letters = raw.replace(/'/g, "");
    const isCaps = letters === letters.toUpperCase() && letters !== letters.toLowerCase();
    if (isCaps && letters.length >= 4 && !/\p{N}/u.test(letters) && !ACRONYMS.has(word)) shouted.add(word);
  }
  if (shouted.size >= 2) cues.push("shouting");
  let bangs = false;
  let mixed = 0;
  for (const [run] of text.matchAll(/[?!]{2,}/g)) {
    if (!run.includes("?")) bangs = true;
    else if (run.includes("!")) mixed += run.length >= 3 ? 2 : 1;
  }
  if (bangs) cues.push("exclamations");
  if (mixed >= 2) cues.push("interrobang");
  return cues;
}

/**
 * The mapping Exchange applies on import ([MS-OXCMAIL] §2.2.3.2.5): `Importance: High`,
 * `Priority: Urgent`, `X-MSMail-Priority: High` and `X-Priority: 1` or `2` all mean high importance.
 * Accepts the bare value or the whole header line.
 */
function isHighPriority(header: string): boolean {
  const value = header.slice(0, 100).trim().toLowerCase().replace(/^[a-z-]+:\s*/, "");
  if (/^\d/.test(value)) return value[0] === "1" || value[0] === "2";
  const word = value.split(/[^a-z]/, 1)[0];
  return word === "high" || word === "urgent";
}

function subjectStartsUrgent(subjectTokens: Token[]): boolean {
  const first = subjectTokens.find((t) => !REPLY_PREFIXES.has(t.word));
  return first !== undefined && URGENT_SUBJECT_WORDS.has(first.word);
}

interface Reading {
  safety: Set<string>;
  keywords: Map<string, number>;
  deadline: boolean;
  negated: boolean;
  deescalated: boolean;
}

function read(text: string, tokens: Token[], into: Reading): void {
  const hits = scanPhrases(text, tokens);
  for (const hit of hits) {
    if (hit.cue === "deescalate") into.deescalated = into.negated = true;
    if (!/^(?:safety:|keyword:|deadline$)/.test(hit.cue)) continue;
    if (hit.cue === "deadline") into.deadline = true;
    else if (isNegated(tokens, hit.start)) {
      into.negated = true;
      // "not urgent", "non-emergency": the customer says so; a negated "stolen" only drops itself.
      if (hit.cue.startsWith("keyword:") || hit.cue === "safety:emergency") into.deescalated = true;
    } else if (hit.cue.startsWith("safety:")) into.safety.add(hit.cue);
    else into.keywords.set(hit.cue, WEAK_KEYWORDS.has(hit.cue) ? WEAK_KEYWORD : STRONG_KEYWORD);
  }
  if (disownsTransaction(tokens, hits)) into.safety.add("safety:unauthorized-transaction");
}

const sum = (values: Iterable<number>): number => [...values].reduce((a, b) => a + b, 0);
const clean = (s: string, max: number): string => s.slice(0, max).normalize("NFKC").replace(/[\u2018\u2019\u02bc]/g, "'");

/**
 * Classifies how urgent a customer message reads. Pure and synchronous; safe on every message.
 *
 * @example
 * detectUrgency({ channel: "sms", text: "My card was stolen, block it now!" });
 * // { urgency: "critical", score: 12, cues: ["safety:stolen", "keyword:right-now"] }
 * detectUrgency({ channel: "email", subject: "URGENT: refund", text: "Please refund me today.", priorityHeader: "1 (Highest)" });
 * // { urgency: "high", score: 9, cues: ["keyword:urgent", "deadline", "email:importance-high", "email:subject-urgent"] }
 * detectUrgency({ channel: "http", text: "How do I change my PIN?" });
 * // { urgency: "normal", score: 0, cues: [] }
 */
export function detectUrgency(input: UrgencyInput): UrgencyVerdict {
  const subject = clean(input.subject ?? "", MAX_SUBJECT_CHARS);
  const text = clean(input.text, MAX_TEXT_CHARS);
  const subjectTokens = tokenize(subject);
  const textTokens = tokenize(text);
  const reading: Reading = { safety: new Set(), keywords: new Map(), deadline: false, negated: false, deescalated: false };
  read(subject, subjectTokens, reading);
  read(text, textTokens, reading);
  const { safety, keywords, deescalated } = reading;
  const deadline = reading.deadline && !deescalated;

  const intensity = intensityCues(`${subject}\n${text}`, [...subjectTokens, ...textTokens]);
  const channel: string[] = [];
  if (input.channel === "email") {
    if (input.priorityHeader !== undefined && isHighPriority(input.priorityHeader)) channel.push("email:importance-high");
    if (!deescalated && subjectStartsUrgent(subjectTokens)) channel.push("email:subject-urgent");
  }

  const keywordScore = deescalated ? 0 : Math.min(sum(keywords.values()), KEYWORD_CAP);
  const weigh = (cues: string[]) => sum(cues.map((cue) => CUE_WEIGHTS[cue] ?? 0));
  const intensityScore = Math.min(weigh(intensity), INTENSITY_CAP);
  const signals = keywordScore + weigh(deadline ? ["deadline"] : []) + intensityScore + weigh(channel);
  const score = safety.size * SAFETY_WEIGHT + Math.min(signals, SIGNAL_CAP);

  const cues = [...safety, ...(deescalated ? [] : keywords.keys()), ...(deadline ? ["deadline"] : []), ...intensity, ...channel];
  if (reading.negated) cues.push("negated");
  const urgency: Urgency = score >= CRITICAL_AT ? "critical" : score >= HIGH_AT ? "high" : "normal";
  return { urgency, score, cues };
}
