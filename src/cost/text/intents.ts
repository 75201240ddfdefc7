/**
 * Built-in intents for the static-rule tier: a message answers from a rule only when the whole
 * message is a greeting, a thanks or a goodbye, so a request that follows one always reaches
 * the model.
 */
import { regexRisk } from "../../config/regex-safety";
import { normalizeText } from "./normalize";
import { STOPWORDS, wordTokens } from "./tokens";

export const BUILTIN_INTENTS = ["greeting", "thanks", "goodbye"] as const;
export type BuiltinIntent = (typeof BUILTIN_INTENTS)[number];

/** One phrase a line, grouped by language; matched as whole words after `normalizeText`. */
const PHRASES: Record<BuiltinIntent, readonly string[]> = {
  greeting: [
    "hi | hello | hey | heya | hiya | howdy | yo | hullo | greetings | morning | evening | afternoon",
    "good morning | good afternoon | good evening | good day",
    "how are you | how are you doing | how is it going | what is up | how do you do | nice to meet you",
    "bonjour | bonsoir | salut | coucou", // French
    "hola | buenos días | buenas tardes | buenas", // Spanish
    "hallo | guten morgen | guten tag | guten abend | moin | servus | grüß gott", // German
    "ciao | salve | buongiorno | buonasera", // Italian
    "olá | ola | oi | bom dia | boa tarde", // Portuguese
    "hoi | goedemorgen | goedemiddag | goedenavond", // Dutch
    "hej | hei | hallå | god morgon | moi", // Nordic
    "cześć | dzień dobry | ahoj | szia | merhaba | selam | γεια σου | γεια", // Polish, Czech, Hungarian, Turkish, Greek
    "привет | здравствуйте | здравствуй | добрый день", // Russian
    "こんにちは | こんばんは | おはよう | おはようございます", // Japanese
    "你好 | 您好 | 大家好 | 안녕하세요 | 안녕", // Chinese, Korean
    "مرحبا | أهلا | السلام عليكم | שלום | नमस्ते | namaste", // Arabic, Hebrew, Hindi
  ],
  thanks: [
    "thanks | thank you | thank u | thankyou | thanks you | thx | thnx | ty | tysm | cheers",
    "many thanks | much appreciated | appreciate it | appreciated | thanks a million",
    "merci | merci beaucoup | merci bien", // French
    "gracias | muchas gracias | mil gracias", // Spanish
    "danke | danke schön | dankeschön | danke sehr | vielen dank", // German
    "grazie | grazie mille", // Italian
    "obrigado | obrigada | muito obrigado | muito obrigada | valeu", // Portuguese
    "dank je | dank je wel | dank u | dank u wel | bedankt", // Dutch
    "tack | tack så mycket | tak | tusind tak | takk | tusen takk | kiitos", // Nordic
    "dziękuję | dzięki | děkuji | köszönöm | teşekkürler | teşekkür ederim | ευχαριστώ", // Polish, Czech, Hungarian, Turkish, Greek
    "спасибо | большое спасибо", // Russian
    "ありがとう | ありがとうございます | どうもありがとう", // Japanese
    "谢谢 | 謝謝 | 多谢 | 감사합니다 | 고맙습니다 | 고마워", // Chinese, Korean
    "شكرا | תודה | धन्यवाद | shukriya", // Arabic, Hebrew, Hindi
  ],
  goodbye: [
    "bye | goodbye | good bye | bye bye | byebye | laters | cya | ttyl | farewell | take care",
    "see you | see ya | talk to you later | talk later | good night | goodnight | night night",
    "have a nice day | have a good day | have a great day | have a nice evening | have a good evening",
    "have a nice weekend | have a good weekend | have a great weekend | have a good one",
    "au revoir | à bientôt | à plus | à demain | bonne journée | bonne soirée", // French
    "adiós | adios | hasta luego | hasta pronto | hasta mañana | chao | nos vemos", // Spanish
    "tschüss | tschüs | tschuss | tschuess | auf wiedersehen | bis bald | bis später | bis dann", // German
    "arrivederci | a presto", // Italian
    "tchau | até logo | até mais | adeus", // Portuguese
    "tot ziens | doei | hej då | farvel | ha det | näkemiin", // Dutch, Nordic
    "do widzenia | na shledanou | viszlát | hoşça kal | görüşürüz", // Polish, Czech, Hungarian, Turkish
    "пока | до свидания", // Russian
    "さようなら | じゃあね | またね | 再见 | 再見 | 拜拜 | 안녕히 가세요 | 안녕히 계세요", // Japanese, Chinese, Korean
    "مع السلامة | להתראות", // Arabic, Hebrew
  ],
};

/** Words that may surround an intent without making the message a request. */
const FILLERS = [
  "there | all | everyone | everybody | team | guys | folks | people | y'all | you all | friend | friends",
  "mate | buddy | pal | dear | sir | madam | ma'am | bot | assistant | support | claude",
  "so much | very much | a lot | a ton | a bunch | loads | so | much | again | once again | kindly | really",
  "for everything | for your help | for the help | for helping | for helping me | for that | in advance",
  "today | tonight | for now | later | soon | tomorrow | then",
  "oh | ah | well | ok | okay | alright | all right | great | perfect | awesome | cool | nice | lovely",
  "wonderful | excellent | brilliant | haha | hehe | lol | yes | yeah",
  "à tous | tout le monde | a todos | a todas | zusammen | allerseits | a tutti", // "to all" in French, Spanish, German, Italian
];

type Entry = { words: string[]; intent: BuiltinIntent | null };

/** Every phrase as words, longest first, so "thank you so much" is read before "thank". */
const ENTRIES: readonly Entry[] = [
  ...BUILTIN_INTENTS.flatMap((intent) => splitPhrases(PHRASES[intent]).map((words) => ({ words, intent }))),
  ...splitPhrases(FILLERS).map((words) => ({ words, intent: null })),
].sort((a, b) => b.words.length - a.words.length);

function splitPhrases(lines: readonly string[]): string[][] {
  return lines.flatMap((line) => line.split("|")).map((phrase) => wordTokens(phrase));
}

/** ASCII emoticons (":D", ";-)", "<3", "^_^"), removed before normalizing, which would glue them to the word before. */
const EMOTICON = /(?<!\S)(?:[:;=8x]['-]?[)(\][dpo3*|\\/]+|\(+[:;]|<3+|\^_*\^)(?!\S)/gi;

/** Later stages of a conversation win when a message mixes intents: "thanks, bye!" is a goodbye. */
const PRIORITY: readonly BuiltinIntent[] = ["goodbye", "thanks", "greeting"];

/** No greeting, thanks or goodbye on its own is longer than this. */
const MAX_INTENT_CHARS = 120;

/**
 * The built-in intent a message consists of, or `null` when it says anything more. The whole
 * message must be intent phrases plus fillers ("there", "team", "so much", "again", emoji,
 * punctuation) and at most one capitalized name after a phrase ("Thanks Anna!"); one word of
 * a request ("Hi I need help") and it is `null`. Phrases cover English and common greetings in
 * a dozen other languages; a mixed message takes the later stage: goodbye, then thanks, then greeting.
 *
 * @example
 * matchIntent("hello there!");               // "greeting"
 * matchIntent("Thank you so much 🙏");        // "thanks"
 * matchIntent("hello, my card was stolen");  // null
 */
export function matchIntent(text: string): BuiltinIntent | null {
  if (text.length > 4 * MAX_INTENT_CHARS) return null;
  const normalized = normalizeText(text.replace(EMOTICON, " "));
  if (normalized.length > MAX_INTENT_CHARS) return null;
  const words = wordTokens(normalized);
  const capitalized = new Set((text.normalize("NFKC").match(/\p{Lu}[\p{Ll}\p{M}]+/gu) ?? []).map((w) => w.toLowerCase()));
  const found = new Set<BuiltinIntent>();
  let namesLeft = 1;
  for (let i = 0; i < words.length; ) {
    const entry = ENTRIES.find((e) => e.words.every((w, k) => words[i + k] === w));
    if (entry) {
      if (entry.intent) found.add(entry.intent);
      i += entry.words.length;
      continue;
    }
    const word = words[i] ?? "";
    if (i === 0 || namesLeft === 0 || !capitalized.has(word) || STOPWORDS.has(word)) return null;
    namesLeft -= 1;
    i += 1;
  }
  return PRIORITY.find((intent) => found.has(intent)) ?? null;
}

/** At most this much of a message is tested against a rule's expression, so a long message cannot make a rule slow. */
export const MAX_PATTERN_INPUT = 2_000;
const PATTERN_CACHE_SIZE = 100;
const compiled = new Map<string, RegExp | null>();

/** The compiled expression, or `null` when it is invalid; the oldest of 100 entries makes way for a new one. */
function compilePattern(pattern: string): RegExp | null {
  const cached = compiled.get(pattern);
  if (cached !== undefined) return cached;
  let regex: RegExp | null = null;
  // Config refuses these since the check exists; a rule stored before then must not hang a worker either.
  if (regexRisk(pattern)) return remember(pattern, null);
  // Unicode mode first so \p{L} works; legacy mode for expressions only it accepts (such as "\-" outside a class).
  for (const flags of ["iu", "i"]) {
    try {
      regex = new RegExp(pattern, flags);
      break;
    } catch {
      // try the next flags; invalid in both means the rule never matches
    }
  }
  return remember(pattern, regex);
}

function remember(pattern: string, regex: RegExp | null): RegExp | null {
  if (compiled.size >= PATTERN_CACHE_SIZE) compiled.delete(compiled.keys().next().value as string);
  compiled.set(pattern, regex);
  return regex;
}

/**
 * Whether a static cache rule's `pattern` matches a message. A built-in intent name
 * ("greeting", "thanks", "goodbye") uses `matchIntent`; anything else is a regular expression,
 * tested case-insensitively against the first 2,000 characters of the normalized message. An
 * invalid expression, or one that could backtrack catastrophically (see `regexRisk`), never matches.
 *
 * @example
 * matchCacheRulePattern("Hello there!", "greeting");                      // true
 * matchCacheRulePattern("What are your opening hours?", "opening hours"); // true
 * matchCacheRulePattern("anything", "(unclosed");                         // false
 */
export function matchCacheRulePattern(text: string, pattern: string): boolean {
  if ((BUILTIN_INTENTS as readonly string[]).includes(pattern)) return matchIntent(text) === pattern;
  const regex = compilePattern(pattern);
  return regex !== null && regex.test(normalizeText(text.slice(0, 4 * MAX_PATTERN_INPUT)).slice(0, MAX_PATTERN_INPUT));
}
