import { describe, expect, it } from "vitest";
import {
  BUILTIN_INTENTS,
  contentTokens,
  isFollowUp,
  matchCacheRulePattern,
  matchIntent,
  MAX_PATTERN_INPUT,
  normalizeText,
  opposesMeaning,
  wordTokens,
} from "../../src/cost/text";

/** A small deterministic generator (Park–Miller), so property tests fail the same way every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 48271) % 2147483647) / 2147483647;
}

function pick<T>(items: readonly T[], next: () => number): T {
  return items[Math.floor(next() * items.length)] as T;
}

/** Strings built from awkward pieces: odd Unicode, quotes, emoji, signs, spacing. */
function awkwardStrings(count: number, seed: number): string[] {
  const pieces = [
    "Hello", "THERE", "can't", "2.5", "-5", ".5", "$100", "50%", "€", "’", "“", "”", "«", "»", " ", "  ", "\t", "\n",
    "\u00a0", "\u200b", "\u200d", "\ufe0f", "👋", "👍🏽", "👨‍👩‍👧", "!", "?!", "...", ",", " ,", ":)", "(", ")", "İ", "ℌ", "ﬁ",
    "①", "ẞ", "Σ", "Ｈｅｌｌｏ", "ｶﾞ", "e\u0301", "नमस्ते", "こんにちは", "#", "*", "+44", "1️⃣",
  ];
  const next = random(seed);
  return Array.from({ length: count }, () => Array.from({ length: Math.floor(next() * 10) }, () => pick(pieces, next)).join(""));
}

describe("normalizeText", () => {
  it.each([
    ["  Hello   THERE!! 👋 ", "hello there"],
    ["What’s the fee?", "what's the fee"],
    ["“Quoted”", "quoted"],
    ["Ｈｅｌｌｏ", "hello"],
    ["hi , there !?!", "hi, there"],
    ["👋 hello 😊", "hello"],
    ["...and then?", "and then"],
    ["line\none\ttab", "line one tab"],
    ["zero\u200bwidth", "zerowidth"],
  ])("turns %j into the key %j", (text, key) => {
    expect(normalizeText(text)).toBe(key);
  });

  it.each([
    ["2.5", "25"],
    ["can't", "cant"],
    ["-5", "5"],
    ["50%", "50"],
    ["$100", "100"],
    ["€100", "$100"],
    ["👍", "👎"],
  ])("keeps %j and %j apart", (a, b) => {
    expect(normalizeText(a)).not.toBe(normalizeText(b));
  });

  it("keeps a message that is only decoration, so two different reactions do not share a key", () => {
    expect(normalizeText(" 👍 ")).toBe("👍");
    expect(normalizeText("?")).toBe("?");
    expect(normalizeText("   ")).toBe("");
  });

  it("keeps the combining vowel signs that end words in Devanagari", () => {
    expect(normalizeText("नमस्ते!")).toBe("नमस्ते");
  });

  it("is idempotent on awkward Unicode, quotes, emoji and spacing", () => {
    for (const text of awkwardStrings(3000, 7)) {
      const once = normalizeText(text);
      expect(normalizeText(once), JSON.stringify(text)).toBe(once);
    }
  });
});

describe("contentTokens", () => {
  it("drops stopwords and punctuation and keeps numbers", () => {
    expect(contentTokens("How do I reset my PIN after 3 tries?")).toEqual(["reset", "pin", "3", "tries"]);
  });

  it("spells out contractions, with or without the apostrophe", () => {
    expect(wordTokens("I can’t, I cant, I cannot")).toEqual(["i", "can", "not", "i", "can", "not", "i", "can", "not"]);
    expect(wordTokens("what's my card's PIN")).toEqual(["what", "is", "my", "card", "pin"]);
  });

  it("keeps decimals and thousands in one token and splits hyphenated words", () => {
    expect(wordTokens("top-up €1,000.50 or 2.5")).toEqual(["top", "up", "1,000.50", "or", "2.5"]);
  });
});

describe("matchIntent", () => {
  it("knows exactly the three built-in intents", () => {
    expect(BUILTIN_INTENTS).toEqual(["greeting", "thanks", "goodbye"]);
  });

  it.each([
    ["hello there!", "greeting"],
    ["Hi!", "greeting"],
    ["hey :)", "greeting"],
    ["hey :D", "greeting"],
    ["Good morning", "greeting"],
    ["Hello everyone 👋", "greeting"],
    ["hi team", "greeting"],
    ["Hey guys", "greeting"],
    ["Hi Anna!", "greeting"],
    ["bonjour", "greeting"],
    ["hola", "greeting"],
    ["hallo", "greeting"],
    ["ciao", "greeting"],
    ["olá", "greeting"],
    ["hej", "greeting"],
    ["привет", "greeting"],
    ["こんにちは", "greeting"],
    ["thanks!", "thanks"],
    ["thank you so much", "thanks"],
    ["Thanks a lot", "thanks"],
    ["thanks again 🙏", "thanks"],
    ["THANK YOU!!!", "thanks"],
    ["Thanks Anna", "thanks"],
    ["merci beaucoup", "thanks"],
    ["danke", "thanks"],
    ["gracias", "thanks"],
    ["obrigado", "thanks"],
    ["ありがとうございます！", "thanks"],
    ["bye", "goodbye"],
    ["goodbye!", "goodbye"],
    ["see you", "goodbye"],
    ["See you later", "goodbye"],
    ["have a nice day!", "goodbye"],
    ["au revoir", "goodbye"],
    ["tschüss", "goodbye"],
    ["adiós", "goodbye"],
  ] as const)("reads %j as %s", (text, intent) => {
    expect(matchIntent(text)).toBe(intent);
  });

  it.each([
    "hello, my card was stolen",
    "Hi I need help with a transfer",
    "Hi, how do I reset my password?",
    "thanks but it still doesn't work",
    "Thank you, can you also check my balance?",
    "Thanks! One more question",
    "bye the way...",
    "你好，我的卡被偷了",
    "ok",
    "there",
    "Anna",
    "hi anna",
    "",
  ])("does not read %j as an intent, since it says more (or less) than one", (text) => {
    expect(matchIntent(text)).toBeNull();
  });

  it("reads a message that mixes intents as the later stage of a conversation", () => {
    expect(matchIntent("ok thanks, bye!")).toBe("goodbye");
    expect(matchIntent("hi, thanks")).toBe("thanks");
  });

  it("gives up on a long message without reading it word by word", () => {
    expect(matchIntent(`hello ${"there ".repeat(200)}`)).toBeNull();
  });
});

describe("matchCacheRulePattern", () => {
  it("reads a built-in intent name as that intent, not as an expression", () => {
    expect(matchCacheRulePattern("hello there!", "greeting")).toBe(true);
    expect(matchCacheRulePattern("Do you sell greeting cards?", "greeting")).toBe(false);
    expect(matchCacheRulePattern("thanks", "goodbye")).toBe(false);
  });

  it("tests any other pattern as a case-insensitive expression against the normalized text", () => {
    expect(matchCacheRulePattern("What are your OPENING hours?", "opening hours")).toBe(true);
    expect(matchCacheRulePattern("Opening Hours!!", "^opening hours$")).toBe(true);
    expect(matchCacheRulePattern("What’s the fee?", "^what's the fee$")).toBe(true);
    expect(matchCacheRulePattern("Where are you?", "opening hours")).toBe(false);
  });

  it("accepts Unicode property escapes and expressions only legacy mode allows", () => {
    expect(matchCacheRulePattern("Été", "^\\p{L}+$")).toBe(true);
    expect(matchCacheRulePattern("a-b", "a\\-b")).toBe(true);
  });

  it.each(["(unclosed", "[a-", "*", "(?<n>a)(?<n>b)"])("never matches with the invalid expression %j", (pattern) => {
    expect(matchCacheRulePattern("(unclosed [a- * ab", pattern)).toBe(false);
  });

  it(`tests only the first ${MAX_PATTERN_INPUT} characters of a long message`, () => {
    const early = `refund ${"x".repeat(5000)}`;
    const late = `${"x ".repeat(MAX_PATTERN_INPUT)}refund`;
    expect(matchCacheRulePattern(early, "refund")).toBe(true);
    expect(matchCacheRulePattern(late, "refund")).toBe(false);
  });

  it("keeps answering correctly while many distinct patterns pass through its cache", () => {
    for (let i = 0; i < 300; i++) expect(matchCacheRulePattern(`order ${i}`, `^order ${i}$`)).toBe(true);
    expect(matchCacheRulePattern("order 7", "^order 8$")).toBe(false);
  });
});

describe("isFollowUp", () => {
  it.each([
    "how old is she?",
    "what about it?",
    "can you change that?",
    "is this one cheaper?",
    "and them?",
    "And what about the fees?",
    "also for my savings account",
    "what about Spain?",
    "how about next week?",
    "same for my other card",
    "but why?",
    "or by card?",
    "then what?",
    "ok so what about the limit",
    "the blue one",
    "sunday?",
    "why?",
    "How much?",
    "100 euros",
    "yes",
    "no",
    "yes please",
    "ok do it",
    "ok",
    "👍",
    "the above",
    "as I said, the payment failed",
    "see my previous message",
    "you said the transfer was free",
    "Why was I charged for this?",
    "thanks but it still doesn't work",
  ])("treats %j as a follow-up", (text) => {
    expect(isFollowUp(text)).toBe(true);
  });

  it.each([
    "How do I reset my password?",
    "What is the fee for international transfers?",
    "My card hasn't arrived yet",
    "I topped up my card but it was declined",
    "Is it possible to get a card in the UK?",
    "How much does it cost to make transfers?",
    "Why didn't this transfer work?",
    "My friend says he hasn't received my transfer",
    "Can my daughter have a card in her name?",
    "No refund showing in my statement.",
    "Lost password",
    "pending transaction?",
    "Visa or Mastercard?",
    "Report stolen card",
    "wheres my pin",
    "hello there!",
    "Thank you so much",
    "",
  ])("treats %j as standalone", (text) => {
    expect(isFollowUp(text)).toBe(false);
  });
});

describe("opposesMeaning", () => {
  it.each([
    ["How do I enable two-factor authentication?", "How do I disable two-factor authentication?", "enable"],
    ["Can I cancel my order?", "Can't I cancel my order?", "negation"],
    ["Is there a fee?", "Is there no fee?", "negation"],
    ["I can log in", "I cannot log in", "negation"],
    ["I cant log in", "I can log in", "negation"],
    ["transfer 100 euros", "transfer 1000 euros", "numbers"],
    ["Why did my top up fail?", "Why did my withdrawal fail?", "top up"],
    ["How do I turn on 2FA?", "How do I turn off 2FA?", "turn on"],
    ["the card was enabled", "the card is disabled now", "enable"],
    ["I want to lock my card", "I want to unlock my card", "lock"],
    ["Activate my card", "Card deactivation", "activate"],
    ["How do I increase my limit?", "How do I decrease my limit?", "increase"],
    ["I sent money", "I received money", "send"],
    ["Log in problems", "Log out problems", "log in"],
    ["What's the cheapest plan?", "What's the most expensive plan?", "cheap"],
    ["Why was I charged?", "Why was I refunded?", "charge"],
    ["Deposit limits", "Withdrawal limits", "deposit"],
    ["Is my account verified?", "Is my account unverified?", "unverified"],
    ["Is the ticket refundable?", "Is the ticket non-refundable?", "nonrefundable"],
    ["send money in EUR", "send money in USD", "EUR"],
    ["transfer $100", "transfer €100", "USD"],
    ["Can I use my card in the UK?", "Can I use my card in the US?", "US"],
    ["Is the app available in French?", "Is the app available in German?", "DE"],
  ])("tells %j from %j", (a, b, reasonPart) => {
    const reason = opposesMeaning(a, b);
    expect(reason).toContain(reasonPart);
    expect(opposesMeaning(b, a)).not.toBeNull();
  });

  it.each([
    ["How do I turn on 2FA?", "How can I turn on two factor authentication?"],
    ["My card hasn't arrived", "My card still hasn't arrived"],
    ["what is the exchange rate", "what's the exchange rate"],
    ["transfer 1,000 euros", "transfer 1000 EUR"],
    ["I can't log in", "I cant log in"],
    ["Send 100 US dollars", "Send 100 dollars"],
    ["Cards in the U.K.", "Cards in the UK"],
    ["Can you help us?", "Can you help me?"],
    ["I was charged and I don't know why", "Why was I charged?"],
    ["I lost my card", "I have lost my card"],
  ])("lets the paraphrases %j and %j match", (a, b) => {
    expect(opposesMeaning(a, b)).toBeNull();
  });

  const corpus = [
    ...new Set([
      "How do I enable two-factor authentication?", "How do I disable two-factor authentication?", "Can I cancel my order?",
      "Can't I cancel my order?", "transfer 100 euros", "transfer 1000 euros", "Why did my top up fail?", "Why did my withdrawal fail?",
      "How do I turn on 2FA?", "How can I turn on two factor authentication?", "My card hasn't arrived", "My card still hasn't arrived",
      "what is the exchange rate", "what's the exchange rate", "Send money to the US", "send money to the UK", "Is it non-refundable?",
      "Is it refundable?", "unlock my card", "lock my card", "HELP US", "I sent £20 and they received €20", "", "👍",
      "Why was I charged twice on 3/4?", "the blue one", "no", "not without my PIN", "cheapest or most expensive first?",
      ...awkwardStrings(40, 11),
    ]),
  ];

  it("finds no reason between a text and itself", () => {
    for (const text of corpus) expect(opposesMeaning(text, text), JSON.stringify(text)).toBeNull();
  });

  it("is symmetric: a pair has a reason either both ways or neither", () => {
    for (const a of corpus) {
      for (const b of corpus) expect(opposesMeaning(a, b) === null, `${JSON.stringify(a)} / ${JSON.stringify(b)}`).toBe(opposesMeaning(b, a) === null);
    }
  });
});
