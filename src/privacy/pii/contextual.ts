/**
 * Entities with no checksum, found by shape and context: dates of birth (a date near a birth
 * cue) and street addresses (a house number, a capitalised street name and a street-type word,
 * or the common European orders).
 */
import { piiMatch, type PiiMatch } from "./types";

/** Title-cases the first letter of each word: "rue" → "[Rr]ue", so street words match either case. */
function eitherCase(words: string[]): string {
  return words.map((w) => `[${w[0]!.toUpperCase()}${w[0]}]${w.slice(1).replace(/\./g, "\\.")}`).join("|");
}

const MONTH =
  "Jan(?:uary|\\.)?|Feb(?:ruary|\\.)?|Mar(?:ch|\\.)?|Apr(?:il|\\.)?|May|June?|July?|Aug(?:ust|\\.)?|Sep(?:t(?:ember)?|\\.)?|Oct(?:ober|\\.)?|Nov(?:ember|\\.)?|Dec(?:ember|\\.)?" +
  "|Januar|Februar|März|Mai|Juni|Juli|Oktober|Dezember|janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre";
const MONTH_NUMBER: Readonly<Record<string, number>> = {
  jan: 1, feb: 2, fév: 2, mar: 3, mär: 3, apr: 4, avr: 4, may: 5, mai: 5, jun: 6, jul: 7, aug: 8, aoû: 8,
  sep: 9, oct: 10, okt: 10, nov: 11, dec: 12, dez: 12, déc: 12,
};

const DAY = "\\d{1,2}(?:st|nd|rd|th|er|\\.)?";
const DATE = new RegExp(
  "(?<![\\p{L}\\p{N}_./-])(?:" +
    "(?<iso>\\d{4})[-/.](?<isoMonth>\\d{1,2})[-/.](?<isoDay>\\d{1,2})" +
    "|(?<a>\\d{1,2})(?<sep>[-/.])(?<b>\\d{1,2})\\k<sep>(?<year>\\d{4}|\\d{2})" +
    `|(?<monthFirst>${MONTH})\\s(?<dayAfter>${DAY}),?\\s(?<yearAfter>\\d{4})` +
    `|(?<dayFirst>${DAY})\\s(?:of\\s)?(?<monthAfter>${MONTH})(?:,?\\s(?<yearLast>\\d{4}))?` +
    ")(?![\\p{L}\\p{N}]|[-/.]\\d)",
  "giu",
);

function monthOf(name: string): number {
  const key = name.toLowerCase().slice(0, 3);
  if (key === "jui") return name.toLowerCase().startsWith("juin") ? 6 : 7;
  return MONTH_NUMBER[key] ?? 0;
}

const validDay = (day: number, month: number): boolean =>
  month >= 1 && month <= 12 && day >= 1 && day <= [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
const validYear = (year: string): boolean => year.length === 2 || (Number(year) >= 1900 && Number(year) <= 2099);

function isCalendarDate(g: Record<string, string | undefined>): boolean {
  if (g.iso) return validYear(g.iso) && validDay(Number(g.isoDay), Number(g.isoMonth));
  if (g.a) {
    const [a, b] = [Number(g.a), Number(g.b)];
    return validYear(g.year!) && (validDay(a, b) || validDay(b, a)); // day-first or month-first
  }
  if (g.monthFirst) return validYear(g.yearAfter!) && validDay(parseInt(g.dayAfter!, 10), monthOf(g.monthFirst));
  // "Birthday: 12th April" has no year, and is still a birthday.
  return (g.yearLast === undefined || validYear(g.yearLast)) && validDay(parseInt(g.dayFirst!, 10), monthOf(g.monthAfter!));
}

/**
 * A person turning an age: the day someone turned 18 is their birthday with the year moved ("I
 * turned 18 on 09.10.2006"), and age limits are why customers write it. The subject must be a
 * person, since accounts and apps turn one too.
 */
const TURNED_AGE =
  "(?:i|i['’]ve|i have|i['’]ll|i will|he|she|they|we|(?:son|daughter|child|kid|brother|sister|husband|wife|partner)(?:['’]s)?)" +
  "[ \\t]+(?:(?:just|only|recently|finally|will|have|has|had)[ \\t]+){0,2}turn(?:ed|s|ing)?[ \\t]+\\d{1,3}(?:[ \\t]+years?(?:[ \\t]+old)?)?";
const BIRTH_CUE = new RegExp(
  `(?<![\\p{L}\\p{N}])(?:born|dob|d\\.o\\.b\\.?|date of birth|birth ?date|birthday|b-day|geboren|geb\\.|geburtsdatum|née?|date de naissance|fecha de nacimiento|${TURNED_AGE})(?![\\p{L}])`,
  "giu",
);

/**
 * What may stand between a cue and its date: at most 24 characters ("born in Paris on ") with no
 * digit (another date), sentence break or new clause ("born in London and moved here on …").
 */
const CUE_GAP = /^(?:(?!\d|[.!?;]\s|\n|\b(?:and|but|then|moved|since)\b)[\s\S]){0,24}$/i;

/** A birth cue just before the date, or just after it ("04/12/1990 is my date of birth"). */
function nearBirthCue(text: string, start: number, end: number): boolean {
  const before = text.slice(Math.max(0, start - 48), start);
  let cueEnd = -1;
  for (const m of before.matchAll(BIRTH_CUE)) cueEnd = m.index + m[0].length;
  if (cueEnd >= 0 && CUE_GAP.test(before.slice(cueEnd))) return true;
  const after = text.slice(end, end + 30);
  const cue = BIRTH_CUE.exec(after);
  BIRTH_CUE.lastIndex = 0;
  return cue !== null && CUE_GAP.test(after.slice(0, cue.index));
}

export function detectDatesOfBirth(text: string): PiiMatch[] {
  const found: PiiMatch[] = [];
  for (const m of text.matchAll(DATE)) {
    const end = m.index + m[0].length;
    if (isCalendarDate(m.groups ?? {}) && nearBirthCue(text, m.index, end)) {
      found.push(piiMatch("date_of_birth", text, m.index, end));
    }
  }
  return found;
}

const WORD = "\\p{Lu}[\\p{L}'’-]*";
const EN_SUFFIX = eitherCase([
  "street", "st", "avenue", "ave", "road", "rd", "lane", "ln", "boulevard", "blvd", "drive", "dr",
  "way", "court", "ct", "place", "pl", "terrace", "close", "crescent", "parkway", "pkwy", "highway",
  "hwy", "square", "sq", "circle", "cir", "trail", "mews", "gardens", "grove",
]);
/** "221B Baker Street", "1600 Pennsylvania Avenue NW", "350 5th Ave", "10 W 34th St". */
const EN_ADDRESS = new RegExp(
  `(?<![\\p{L}\\p{N}_#$€£.,/-])\\d{1,5}[A-Za-z]?(?:-\\d{1,5})?[ \\t]+(?:(?:${WORD}|\\d{1,3}(?:st|nd|rd|th))[ \\t]+){1,4}?(?:${EN_SUFFIX})(?:[ \\t]+(?:NW|NE|SW|SE))?(?![\\p{L}\\p{N}])`,
  "gu",
);
const GERMANIC_SUFFIX = "straße|strasse|str\\.|gasse|weg|platz|allee|straat|laan|gracht|plein|gade|vej|gatan|vägen";
/** "Hauptstraße 5", "Berliner Straße 12a", "Kerkstraat 7". */
const GERMANIC_ADDRESS = new RegExp(
  `(?<![\\p{L}\\p{N}])(?:\\p{Lu}[\\p{Ll}-]{0,30}?(?:${GERMANIC_SUFFIX})|\\p{Lu}\\p{Ll}{1,30}[ \\t](?:Straße|Strasse|Str\\.|Weg|Gasse|Platz|Allee))[ \\t]+\\d{1,4}[a-z]?(?![\\p{L}\\p{N}])`,
  "gu",
);
const PARTICLE = "(?:de la|de l['’]|du|des|de|d['’]|la|le|l['’])";
/** "12 rue de Rivoli", "5 bis, avenue des Champs-Élysées". */
const FRENCH_ADDRESS = new RegExp(
  `(?<![\\p{L}\\p{N}_#$€£.,/-])\\d{1,4}(?:[ \\t]?(?:bis|ter))?,?[ \\t]+(?:${eitherCase(["rue", "avenue", "boulevard", "bd", "place", "allée", "impasse", "chemin", "quai", "cours", "route", "passage"])})[ \\t]+(?:${PARTICLE}[ \\t]?)?${WORD}(?:[ \\t]+(?:${PARTICLE}[ \\t]?)?${WORD}){0,3}`,
  "gu",
);
/** "Via Roma 1", "Calle Mayor 10", "Rua Augusta, 100". */
const SOUTHERN_ADDRESS = new RegExp(
  `(?<![\\p{L}\\p{N}])(?:Calle|Via|Viale|Piazza|Corso|Avenida|Rua|Carrer|Plaza|Paseo|Largo)[ \\t]+(?:(?:de|del|della|delle|di|da|do|dos|la|las|los)[ \\t]+){0,2}${WORD}(?:[ \\t]+${WORD}){0,2},?[ \\t]+(?:n\\.?º?[ \\t]*)?\\d{1,4}(?![\\p{L}\\p{N}])`,
  "gu",
);

/**
 * "12 baker street", "250 west 57th street": the English form in lowercase, with the street-type
 * word spelled out or in its common abbreviations, but not the ones that are also ordinary words
 * ("way", "place", "close", "court": "3 hours the whole way"). Lowercase is how many people type,
 * and also how "10 minutes down the road" is written, so the form needs an address cue before it
 * and no function word in the street name.
 */
const EN_LOWER_ADDRESS = new RegExp(
  "(?<![\\p{L}\\p{N}_#$€£.,/-])\\d{1,5}[a-z]?(?:-\\d{1,5})?[ \\t]+(?:(?:\\p{Ll}[\\p{Ll}'’-]*|\\d{1,3}(?:st|nd|rd|th))[ \\t]+){1,3}?" +
    "(?:street|st|avenue|ave|road|rd|lane|ln|boulevard|blvd|drive|terrace|crescent|parkway|pkwy|highway|hwy)(?:[ \\t]+(?:nw|ne|sw|se))?(?![\\p{L}\\p{N}])",
  "gu",
);
/** Words before an address: where the customer lives, or where something is to be sent. */
const ADDRESS_CUE =
  /(?<![\p{L}])(?:address|addr|live|lives|living|moved|move|moving|relocated|deliver|delivered|delivery|send|sent|ship|shipped|shipping|post|posted|mail|mailed|apartment|apt|flat|unit|suite|home)(?![\p{L}])/u;
/** Function words and units: "10 minutes down the road", "5 mins drive", "2 hours by road" are distances. */
const STREET_STOP_WORDS = new Set(
  (
    "the a an my your our his her their this that to of in on at for from by with down up over along across into onto " +
    "and or but per than about min mins minute minutes hr hrs hour hours day days week weeks month months year years " +
    "mile miles km kms kilometre kilometres kilometer kilometers metre metres meter meters block blocks second seconds time times"
  ).split(" "),
);

function lowercaseAddresses(text: string): PiiMatch[] {
  const found: PiiMatch[] = [];
  for (const m of text.matchAll(EN_LOWER_ADDRESS)) {
    const before = text.slice(Math.max(0, m.index - 30), m.index).toLowerCase();
    // The cue must be in the same sentence: "I moved. 10 minutes down the road …" is not an address.
    if (!ADDRESS_CUE.test(before.split(/[.!?;\n]/).pop()!)) continue;
    if (m[0].split(/[ \t]+/).some((word) => STREET_STOP_WORDS.has(word))) continue;
    found.push(piiMatch("street_address", text, m.index, m.index + m[0].length));
  }
  return found;
}

export function detectStreetAddresses(text: string): PiiMatch[] {
  return [EN_ADDRESS, GERMANIC_ADDRESS, FRENCH_ADDRESS, SOUTHERN_ADDRESS]
    .flatMap((re) => [...text.matchAll(re)].map((m) => piiMatch("street_address", text, m.index, m.index + m[0].length)))
    .concat(lowercaseAddresses(text));
}
