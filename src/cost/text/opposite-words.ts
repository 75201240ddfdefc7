/**
 * Word lists for the near-opposite guard: antonyms, words that a prefix negates, currencies and
 * places. Phrases are whole words after `wordTokens` ("top-up" is "top up").
 */

/**
 * Verbs whose meaning flips between the two sides. Each word also matches its regular inflections
 * and -al/-ion nouns ("enabled", "enabling", "withdrawal", "activation"); irregular forms are listed
 * beside it ("sent"). A side may hold several words ("reject | decline").
 */
export const OPPOSITE_VERBS: ReadonlyArray<readonly [string, string]> = [
  ["enable", "disable"],
  ["activate", "deactivate"],
  ["lock", "unlock"],
  ["block", "unblock"],
  ["freeze | froze | frozen", "unfreeze | unfroze | unfrozen"],
  ["open", "close | closure"],
  ["add", "remove | delete"],
  ["start | begin | began | begun", "stop"],
  ["increase | raise", "decrease | reduce | lower"],
  ["upgrade", "downgrade"],
  ["deposit", "withdraw | withdrew | withdrawn"],
  ["top up | topup | topups", "withdraw | withdrew | withdrawn"],
  ["send | sent", "receive"],
  ["buy | bought", "sell | sold"],
  ["credit", "debit"],
  ["charge", "refund"],
  ["accept | approve", "reject | decline | refuse | deny"],
  ["allow | permit", "deny | forbid | prohibit | block"],
  ["subscribe | subscription", "unsubscribe"],
  ["include", "exclude"],
  ["import", "export"],
  ["upload", "download"],
  ["link | connect", "unlink | disconnect"],
  ["show | shown", "hide | hid | hidden"],
  ["log in | login | logon | log on | sign in | signin", "log out | logout | log off | sign out | signout"],
  ["turn on | switch on", "turn off | switch off"],
];

/** Words that flip without inflecting: particles, comparatives, extremes, kinds. "in"/"out" are too common as particles to use. */
export const OPPOSITE_WORDS: ReadonlyArray<readonly [string, string]> = [
  ["on", "off"],
  ["before", "after"],
  ["max | maximum", "min | minimum"],
  ["more", "less | fewer"],
  ["high | higher | highest", "low | lower | lowest"],
  ["cheap | cheaper | cheapest", "expensive | pricey | pricier | priciest"],
  ["first", "last"],
  ["incoming | inbound", "outgoing | outbound"],
  ["domestic | national | local", "international | foreign | abroad | overseas"],
  ["physical | plastic", "virtual | digital | disposable"],
  ["personal", "business"],
];

/** Prefixes that negate the word after them ("verified" / "unverified", "refundable" / "nonrefundable"). */
export const NEGATING_PREFIXES = ["un", "dis", "de", "in", "im", "il", "ir", "non"] as const;

/** Words that start with a negating prefix without negating the rest ("income" is not "not come"). */
export const FALSE_PREFIXED = new Set(
  `income inform install insure invest invoice inside input inbox index intend insist import impress improve impact
   display discover discount dispatch dispose distance default detail deliver depart design desire derive demand depend
   unless`.split(/\s+/),
);

/** Currencies, by ISO code. "$" alone reads as US dollars. */
export const CURRENCIES: Record<string, string> = {
  EUR: "eur | euro | euros | €",
  USD: "usd | dollar | dollars | us dollar | us dollars | $",
  GBP: "gbp | pound | pounds | sterling | pound sterling | quid | £",
  JPY: "jpy | yen | ¥",
  CHF: "chf | franc | francs | swiss franc | swiss francs",
  AUD: "aud | australian dollar | australian dollars",
  CAD: "cad | canadian dollar | canadian dollars",
  CNY: "cny | rmb | yuan | renminbi",
  INR: "inr | rupee | rupees | ₹",
  RUB: "ruble | rubles | rouble | roubles | ₽",
  PLN: "pln | zloty | złoty",
  SEK: "sek | krona | kronor",
  NOK: "nok | dkk | krone | kroner",
  MXN: "mxn | peso | pesos",
  BTC: "btc | bitcoin | bitcoins",
};

/**
 * Countries and regions with their adjectives (a French card and a card from France are the same
 * question), and languages that name no one country. "US" is read only in upper case, since
 * "us" is a pronoun.
 */
export const PLACES: Record<string, string> = {
  GB: "uk | united kingdom | britain | great britain | england | british | scotland | wales",
  US: "usa | united states | america | american",
  EU: "eu | europe | european | european union | eea",
  FR: "france | french",
  DE: "germany | german",
  ES: "spain | spanish",
  IT: "italy | italian",
  PT: "portugal | portuguese",
  NL: "netherlands | holland | dutch",
  BE: "belgium | belgian",
  CH: "switzerland | swiss",
  AT: "austria | austrian",
  IE: "ireland | irish",
  PL: "poland | polish",
  SE: "sweden | swedish",
  NO: "norway | norwegian",
  DK: "denmark | danish",
  FI: "finland | finnish",
  GR: "greece | greek",
  RU: "russia | russian",
  UA: "ukraine | ukrainian",
  TR: "turkey | turkish",
  CN: "china | chinese",
  JP: "japan | japanese",
  KR: "korea | korean",
  IN: "india | indian",
  BR: "brazil | brazilian",
  MX: "mexico | mexican",
  CA: "canada | canadian",
  AU: "australia | australian",
  NZ: "new zealand",
  "lang:en": "english",
  "lang:hi": "hindi",
  "lang:ar": "arabic",
};
