/// <reference types="vite/client" />
import { describe, expect, it } from "vitest";
import {
  containsPii,
  detectPii,
  maskPii,
  maskPiiFailClosed,
  PII_FAILURE_TEXT,
  PII_TYPES,
  type PiiMatch,
  type PiiType,
} from "../../src/privacy/pii";
import heldout2Jsonl from "../fixtures/pii-heldout-2.jsonl?raw";
import labelledJsonl from "../fixtures/pii-labelled.jsonl?raw";

/** The detected `[type, text]` pairs, in order. */
const found = (text: string): Array<[PiiType, string]> => detectPii(text).map((m) => [m.type, m.text]);
const valuesOf = (type: PiiType, text: string): string[] => found(text).filter(([t]) => t === type).map(([, v]) => v);

describe("detectPii: structured types", () => {
  it("finds emails, and not @handles, bare mailbox names or spelled-out addresses", () => {
    expect(valuesOf("email", "Write to Maria.Gonzalez84+bank@mail.example.co.uk.")).toEqual(["Maria.Gonzalez84+bank@mail.example.co.uk"]);
    expect(found("Tagging @support_team did not help; support@ has no domain; jo at gmail dot com")).toEqual([]);
  });

  it("finds international and national phone numbers with separators", () => {
    for (const phone of ["(415) 555-0132", "020 7946 0958", "+44 20 7946 0958", "+49 30 1234567", "+1 (646) 555-0187", "06 12 34 56 78", "1-800-555-0199"]) {
      expect(valuesOf("phone", `Please call ${phone} tomorrow.`)).toEqual([phone]);
    }
  });

  it("takes an unformatted digit run as a phone only after a phone cue", () => {
    expect(valuesOf("phone", "text me on 4155550198")).toEqual(["4155550198"]);
    expect(found("Reference number 4815162342 for the dispute.")).toEqual([]);
  });

  it("does not take amounts, years, order numbers, times, dates or versions for phones", () => {
    const negatives = [
      "Paid $1,234.56 and €12.500,00 for order #12345678.",
      "Customer since 2019; between 2019-2021 at 10:30 and 14:45:00.",
      "Ordered on 12/04/2023 and on 2024-03-18, shipped 12.04.2023.",
      "App version 2.14.3, build 10.0.19041.1, order 20240518-7731, order no. 555 0123 4567.",
      "I need to pay 1 234 567 HUF. ZIP code 94103-1234.",
    ];
    for (const text of negatives) expect(found(text), text).toEqual([]);
  });

  it("finds Luhn-valid card numbers and rejects the same digits with a wrong check digit", () => {
    expect(valuesOf("card", "card 4242 4242 4242 4242 and 5555-5555-5555-4444 and 378282246310005")).toEqual([
      "4242 4242 4242 4242",
      "5555-5555-5555-4444",
      "378282246310005",
    ]);
    expect(found("card 4242 4242 4242 4241 and 4111111111111112")).toEqual([]);
  });

  it("does not find a card inside a longer digit run such as a tracking number", () => {
    expect(found("USPS tracking 9400 1000 0000 0000 0000 00, parcel 4242424242424242424242")).toEqual([]);
  });

  it("finds US SSNs and skips the ranges the SSA never issues", () => {
    expect(valuesOf("us_ssn", "SSN 512-44-7021, spouse 233 81 4406")).toEqual(["512-44-7021", "233 81 4406"]);
    expect(valuesOf("us_ssn", "my ssn: 318760942")).toEqual(["318760942"]);
    expect(found("999-12-3456 666-12-3456 000-12-3456 123-00-4567 123-45-0000 and an unlabelled 318760942")).toEqual([]);
  });

  it("finds IBANs with and without spaces when mod 97 is 1, and not after a changed digit", () => {
    expect(valuesOf("iban", "Pay DE89 3704 0044 0532 0130 00 or GB82WEST12345698765432 ASAP")).toEqual([
      "DE89 3704 0044 0532 0130 00",
      "GB82WEST12345698765432",
    ]);
    expect(valuesOf("iban", "iban: ie29 aibk 9311 5212 3456 78")).toEqual(["ie29 aibk 9311 5212 3456 78"]);
    expect(found("DE89 3704 0044 0532 0130 01 is what the letter says")).toEqual([]);
  });

  it("finds IPv4 (octets up to 255) and IPv6 including :: forms", () => {
    expect(valuesOf("ip", "from 185.220.101.45 and 10.0.0.12:8443")).toEqual(["185.220.101.45", "10.0.0.12"]);
    expect(valuesOf("ip", "2001:db8:85a3::8a2e:370:7334, ::1, fe80::1ff:fe23:4567:890a and ::ffff:198.51.100.7")).toEqual([
      "2001:db8:85a3::8a2e:370:7334",
      "::1",
      "fe80::1ff:fe23:4567:890a",
      "::ffff:198.51.100.7",
    ]);
    expect(found("999.12.4.1, version 4.2.0.1, MAC 00:1A:2B:3C:4D:5E, at 12:30:45")).toEqual([]);
  });
});

describe("detectPii: contextual types", () => {
  it("finds a date of birth in each supported format when a birth cue is near", () => {
    const cases: Array<[string, string]> = [
      ["My date of birth is 1990-04-12.", "1990-04-12"],
      ["DOB: 12/04/1990", "12/04/1990"],
      ["Geboren am 12.04.1990 in Hamburg", "12.04.1990"],
      ["I was born on April 12, 1990.", "April 12, 1990"],
      ["born 12 April 1990", "12 April 1990"],
      ["Je suis née le 3 mars 1985", "3 mars 1985"],
      ["04/12/1990 is my date of birth", "04/12/1990"],
    ];
    for (const [text, date] of cases) expect(valuesOf("date_of_birth", text), text).toEqual([date]);
  });

  it("does not take a date without a birth cue, or one in another clause, for a birth date", () => {
    expect(found("I ordered on 12/04/2023.")).toEqual([]);
    expect(found("I was born in London and moved here on 14/02/2019.")).toEqual([]);
    expect(found("Born in 1990. The transfer was on 2024-03-18.")).toEqual([]);
  });

  it("finds street addresses in English and common European forms", () => {
    const cases: Array<[string, string]> = [
      ["Send it to 221B Baker Street, London.", "221B Baker Street"],
      ["Moved to 1600 Pennsylvania Avenue NW.", "1600 Pennsylvania Avenue NW"],
      ["Old flat: 350 5th Ave.", "350 5th Ave"],
      ["Lieferung an Hauptstraße 5, Berlin", "Hauptstraße 5"],
      ["Berliner Straße 12a ist neu", "Berliner Straße 12a"],
      ["Mon adresse est 12 rue de Rivoli, Paris", "12 rue de Rivoli"],
      ["Ship to Via Roma 24, Milano", "Via Roma 24"],
    ];
    for (const [text, address] of cases) expect(valuesOf("street_address", text), text).toEqual([address]);
    expect(found("Street Fighter is on sale; I bought 2 Big Macs; pick up at Market Street.")).toEqual([]);
  });

  it("finds names only after explicit cues", () => {
    const cases: Array<[string, string]> = [
      ["Hi, my name is John Smith and I can't log in.", "John Smith"],
      ["Hello, I'm Sarah, my card was swallowed.", "Sarah"],
      ["Hi, this is Daniel from Greenleaf Cafe.", "Daniel"],
      ["Hi, this is Jo Baker. Can you email me about my order?", "Jo Baker"],
      ["Good morning, this is Priya Nair, I ordered a cake.", "Priya Nair"],
      ["Subject: Hello, this is Tom Reid. My order is late.", "Tom Reid"],
      ["Name: Anne-Marie O'Brien\nAccount: personal", "Anne-Marie O'Brien"],
      ["Cardholder: Ludwig van Beethoven", "Ludwig van Beethoven"],
      ["Signed, Harold Finch", "Harold Finch"],
      ["Thanks for the help.\n\nKind regards,\nPriya Patel", "Priya Patel"],
    ];
    for (const [text, name] of cases) expect(valuesOf("person_name", text), text).toEqual([name]);
  });

  it("does not take ordinary capitalised words after a cue for a name", () => {
    for (const text of ["I'm fine, thanks.", "I'm Still waiting!", "Thanks, I'll try again.", "Regards,\nThe Billing Team", "File name: Statement March.pdf", "This is Amazon calling?", "I'm Writing to complain", "Hi, this is urgent!", "Hello, this is about my refund.", "Hello, this is Amazon calling about your parcel."]) {
      expect(found(text), text).toEqual([]);
    }
  });
});

describe("detectPii: names beyond Title Case after a cue", () => {
  it("takes a name after a bare lowercase 'name' field, when it has two tokens and ends where a name would", () => {
    expect(valuesOf("person_name", "For verification: name Laura Chen, born in Leeds.")).toEqual(["Laura Chen"]);
    expect(valuesOf("person_name", "name Priya Nair\nphone below")).toEqual(["Priya Nair"]);
    // "name" as a verb, and a single token, are not a field.
    expect(found("Why won't you let me name X as a beneficiary?")).toEqual([]);
    expect(found("Please, name Sarah as the second cardholder")).toEqual([]);
  });

  it("takes the name straight after a family member, or set off by commas", () => {
    expect(valuesOf("person_name", "My daughter Chloe needs her own card.")).toEqual(["Chloe"]);
    expect(valuesOf("person_name", "My husband, David Okafor, is the joint account holder.")).toEqual(["David Okafor"]);
    expect(valuesOf("person_name", "I sent it to our youngest son Tom yesterday")).toEqual(["Tom"]);
    for (const text of ["My husband and I share an account.", "My daughter's card was declined.", "My daughter, who is 12, wants a card.", "Can my son have a card? He's 15."]) {
      expect(found(text), text).toEqual([]);
    }
  });

  it("takes a name after 'my maiden name,' or 'my surname is', and nothing that is not closed by a comma", () => {
    expect(valuesOf("person_name", "The card has my maiden name, Kowalski, not my married name.")).toEqual(["Kowalski"]);
    expect(valuesOf("person_name", "my surname is Nowak")).toEqual(["Nowak"]);
    expect(found("My first name, Date of birth and address have changed.")).toEqual([]);
    expect(found("my last name, which is long, is cut off")).toEqual([]);
  });

  it("takes ALL-CAPS names after a strong cue, but not capitalised common words", () => {
    expect(valuesOf("person_name", "Name on card: WEI ZHANG")).toEqual(["WEI ZHANG"]);
    expect(valuesOf("person_name", "Cardholder: MARY O'NEILL")).toEqual(["MARY O'NEILL"]);
    for (const text of ["MY NAME IS SPELT WRONG", "MY NAME IS NOT ON THE CARD", "Name on card: VISA DEBIT"]) expect(found(text), text).toEqual([]);
    // Weak cues stay Title Case only: "I'M LOCKED OUT" is shouting, not a name.
    expect(found("I'M LOCKED OUT")).toEqual([]);
  });

  it("takes lowercase names after a strong cue only in a sentence written without capitals", () => {
    expect(valuesOf("person_name", "my name is james o'neill, please change the spelling")).toEqual(["james o'neill"]);
    expect(valuesOf("person_name", "hi my name is kevin murphy i need help")).toEqual(["kevin murphy"]);
    for (const text of ["My name is wrong on my card", "Hi, my name is spelled wrong.", "my name is spelt wrong", "hi my name is not showing on the app"]) {
      expect(found(text), text).toEqual([]);
    }
  });

  it("takes up to four tokens after a strong cue, so double surnames are whole", () => {
    expect(valuesOf("person_name", "Full name: Maria José Fernández García")).toEqual(["Maria José Fernández García"]);
    expect(valuesOf("person_name", "Me llamo Ana María López Ortega.")).toEqual(["Ana María López Ortega"]);
  });
});

describe("detectPii: lowercase addresses, age cues and the card veto", () => {
  it("finds a lowercase street address after an address cue", () => {
    expect(valuesOf("street_address", "I live at 12 baker street now")).toEqual(["12 baker street"]);
    expect(valuesOf("street_address", "apartment 5b, 250 west 57th street, new york")).toEqual(["250 west 57th street"]);
  });

  it("does not take distances or lowercase phrases without an address cue for an address", () => {
    for (const text of ["I live 10 minutes down the road", "i live 5 mins drive from the branch", "i waited 3 hours in the street", "we walked 2 miles along the road"]) {
      expect(found(text), text).toEqual([]);
    }
  });

  it("takes the date a person turned an age as a birth date, but not an account's anniversary", () => {
    expect(valuesOf("date_of_birth", "I turned 18 on 09.10.2006 so I can get an adult card now.")).toEqual(["09.10.2006"]);
    expect(valuesOf("date_of_birth", "My son turned 13 on 4 May 2024, can he have a card?")).toEqual(["4 May 2024"]);
    expect(found("My account turned 1 on 12/03/2024 and the fee changed.")).toEqual([]);
  });

  it("does not take a Luhn-valid reference number for a card when a reference cue is nearer than a card cue", () => {
    expect(found("The merchant ID is 4929 0000 0000 6 on my statement.")).toEqual([]);
    expect(found("order number 4242 4242 4242 4242, tracking 5555 5555 5555 4444")).toEqual([]);
    // The nearer cue wins both ways: a card named after the order is still a card.
    expect(valuesOf("card", "Order 1234: paid with my card 4242 4242 4242 4242")).toEqual(["4242 4242 4242 4242"]);
    expect(valuesOf("card", "please cancel 4242 4242 4242 4242")).toEqual(["4242 4242 4242 4242"]);
  });
});

describe("detectPii: overlaps and order", () => {
  it("prefers a card to the phone its digits also resemble", () => {
    // 4222222222222 is a 13-digit Visa test number; after "call" it is also a phone-shaped run.
    expect(found("call 4222 2222 2222 2")).toEqual([["card", "4222 2222 2222 2"]]);
  });

  it("prefers an IBAN, an SSN or an email to a phone-shaped run inside it", () => {
    expect(found("Ring me, or pay NO93 8601 1117 947")).toEqual([["iban", "NO93 8601 1117 947"]]);
    expect(found("call me, SSN 512-44-7021")).toEqual([["us_ssn", "512-44-7021"]]);
    expect(found("text 4155550132@txt.att.net")).toEqual([["email", "4155550132@txt.att.net"]]);
  });

  it("prefers the longer span of the same type (an IPv4-mapped IPv6 over its IPv4 tail)", () => {
    expect(found("::ffff:198.51.100.7")).toEqual([["ip", "::ffff:198.51.100.7"]]);
  });

  it("returns spans sorted by start, non-overlapping, with text equal to the slice", () => {
    const text = "Name: Olivia Brown\nDOB: 03/11/1987\nAddress: 45 Queen Street\nPhone: 0131 496 0012, olivia@example.org";
    const matches = detectPii(text);
    expect(matches.map((m) => m.type)).toEqual(["person_name", "date_of_birth", "street_address", "phone", "email"]);
    for (const [i, m] of matches.entries()) {
      expect(m.text).toBe(text.slice(m.start, m.end));
      if (i > 0) expect(m.start).toBeGreaterThanOrEqual(matches[i - 1]!.end);
    }
  });

  it("answers containsPii", () => {
    expect(containsPii("Call me on 020 7946 0958")).toBe(true);
    expect(containsPii("Where is my order #12345678?")).toBe(false);
  });
});

const MESSAGE = "Card 4242 4242 4242 4242, call +44 20 7946 0958, mail Jo.Bloggs@Example.com, IBAN DE89 3704 0044 0532 0130 00, I'm Sarah.";

/** First 12 hex characters of HMAC-SHA256(salt, value), computed independently of the module. */
async function expectedHash(salt: string, value: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", enc.encode(salt), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(value)));
  return [...mac].map((b) => b.toString(16).padStart(2, "0")).join("").slice(0, 12);
}

describe("maskPii", () => {
  it("redacts each entity with its type by default", async () => {
    const { text, matches } = await maskPii(MESSAGE);
    expect(text).toBe("Card [CARD], call [PHONE], mail [EMAIL], IBAN [IBAN], I'm [PERSON_NAME].");
    expect(matches.map((m) => [m.type, MESSAGE.slice(m.start, m.end)])).toEqual([
      ["card", "4242 4242 4242 4242"],
      ["phone", "+44 20 7946 0958"],
      ["email", "Jo.Bloggs@Example.com"],
      ["iban", "DE89 3704 0044 0532 0130 00"],
      ["person_name", "Sarah"],
    ]);
  });

  it("keeps the last four characters of cards, phones and IBANs, the domain of emails, and redacts the rest", async () => {
    const { text } = await maskPii(MESSAGE, { mode: "last4" });
    expect(text).toBe("Card [CARD …4242], call [PHONE …0958], mail [EMAIL …@Example.com], IBAN [IBAN …3000], I'm [PERSON_NAME].");
    expect((await maskPii("SSN 512-44-7021", { mode: "last4" })).text).toBe("SSN [US_SSN …7021]");
  });

  it("hashes with HMAC-SHA256 of the salt over the normalised value", async () => {
    const { text } = await maskPii("mail Jo.Bloggs@Example.com", { mode: "hash", salt: "s3cret" });
    expect(text).toBe(`mail [EMAIL:${await expectedHash("s3cret", "jo.bloggs@example.com")}]`);
  });

  it("gives the same value the same hash however it is written, and a different hash under another salt", async () => {
    const tag = async (text: string, salt = "s3cret") => (await maskPii(text, { mode: "hash", salt })).text;
    expect(await tag("call (415) 555-0132")).toBe(await tag("call 415.555.0132"));
    expect(await tag("IBAN DE89 3704 0044 0532 0130 00")).toBe(await tag("IBAN DE89370400440532013000"));
    expect(await tag("mail JO@EXAMPLE.COM")).toBe(await tag("mail jo@example.com"));
    expect(await tag("mail jo@example.com")).not.toBe(await tag("mail jo@example.com", "other-salt"));
    expect(await tag("mail jo@example.com")).not.toBe(await tag("mail al@example.com"));
  });

  it("refuses to hash without a salt, since an unkeyed hash of a phone number can be reversed", async () => {
    await expect(maskPii("call 020 7946 0958", { mode: "hash" })).rejects.toThrow(/salt/);
  });

  it("masks only the requested types when `types` is given", async () => {
    const { text, matches } = await maskPii(MESSAGE, { types: ["card", "email"] });
    expect(text).toBe("Card [CARD], call +44 20 7946 0958, mail [EMAIL], IBAN DE89 3704 0044 0532 0130 00, I'm Sarah.");
    expect(matches.map((m) => m.type)).toEqual(["card", "email"]);
  });

  it("leaves a text without PII unchanged", async () => {
    expect(await maskPii("Where is my order #12345678?")).toEqual({ text: "Where is my order #12345678?", matches: [] });
  });
});

describe("maskPiiFailClosed", () => {
  const SECRET = "My card is 4242 4242 4242 4242";
  const failure = { text: PII_FAILURE_TEXT, matches: [], failed: true };

  it("returns the masked text and failed: false when detection works", async () => {
    expect(await maskPiiFailClosed(SECRET)).toEqual({ text: "My card is [CARD]", matches: [{ type: "card", start: 11, end: 30 }], failed: false });
  });

  it("stores nothing of the input when the detector throws", async () => {
    const detect = (): PiiMatch[] => {
      throw new Error("detector crashed");
    };
    expect(await maskPiiFailClosed(SECRET, { detect })).toEqual(failure);
  });

  it("fails closed when the detector returns spans it cannot have found", async () => {
    const outOfBounds = (): PiiMatch[] => [{ type: "card", start: 11, end: 999, text: "" }];
    const overlapping = (): PiiMatch[] => [
      { type: "card", start: 11, end: 20, text: "" },
      { type: "phone", start: 15, end: 25, text: "" },
    ];
    expect(await maskPiiFailClosed(SECRET, { detect: outOfBounds })).toEqual(failure);
    expect(await maskPiiFailClosed(SECRET, { detect: overlapping })).toEqual(failure);
  });

  it("fails closed on input that is not a string and on hashing without a salt", async () => {
    expect(await maskPiiFailClosed(undefined as unknown as string)).toEqual(failure);
    expect(await maskPiiFailClosed(SECRET, { mode: "hash" })).toEqual(failure);
  });
});

describe("performance", () => {
  const SIZE = 32 * 1024;
  const fill = (unit: string): string => unit.repeat(Math.ceil(SIZE / unit.length)).slice(0, SIZE);

  it("scans 32 KB pathological inputs without catastrophic backtracking", () => {
    const inputs = [
      fill("a"),
      `${fill("a.")}@`,
      fill("1"),
      fill("1 "),
      fill("1-"),
      fill("(1"),
      fill("+1 ("),
      fill("a@"),
      fill("a@b."),
      fill(":"),
      fill("ab::"),
      `DE89${fill(" 1234")}`,
      fill("A"),
      `A${fill("a")}`,
      fill("Aaaa "),
      fill("my name is Abc "),
      fill("Thanks, Abc\n"),
      fill("born 12 April "),
      fill("12 Baker "),
      fill("12 rue de Abc "),
      fill("live at 12 baker "),
      fill("my daughter Abc "),
      fill("my name is abc "),
      fill("NAME: ABC "),
      fill(", name Abc "),
      fill("i turned 18 on "),
    ];
    for (const input of inputs) {
      const started = performance.now();
      detectPii(input);
      expect(performance.now() - started, JSON.stringify(input.slice(0, 20))).toBeLessThan(250);
    }
  });

  it("masks a 32 KB message full of entities quickly", async () => {
    const message = fill("Call +44 20 7946 0958 or mail jo@example.com, card 4242 4242 4242 4242. ");
    const started = performance.now();
    const { matches } = await maskPii(message, { mode: "hash", salt: "s" });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(matches.length).toBeGreaterThan(1000);
  });
});

interface LabelledLine {
  text: string;
  entities: Array<{ type: PiiType; value: string }>;
  split: "dev" | "holdout";
}

const parseJsonl = (jsonl: string): LabelledLine[] =>
  jsonl
    .split("\n")
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as LabelledLine);
const labelled = parseJsonl(labelledJsonl);

interface Score {
  tp: number;
  fp: number;
  fn: number;
}

/** Per-type counts, matching a detection to a label by type and exact value (each label used once). */
function score(lines: LabelledLine[]): Record<PiiType, Score> {
  const scores = Object.fromEntries(PII_TYPES.map((t) => [t, { tp: 0, fp: 0, fn: 0 }])) as Record<PiiType, Score>;
  for (const line of lines) {
    const unmatched = line.entities.map((e) => `${e.type}\u0000${e.value}`);
    for (const m of detectPii(line.text)) {
      const i = unmatched.indexOf(`${m.type}\u0000${m.text}`);
      if (i >= 0) {
        unmatched.splice(i, 1);
        scores[m.type].tp++;
      } else {
        scores[m.type].fp++;
      }
    }
    for (const key of unmatched) scores[key.split("\u0000")[0] as PiiType].fn++;
  }
  return scores;
}

const precision = (s: Score): number => (s.tp + s.fp === 0 ? 1 : s.tp / (s.tp + s.fp));
const recall = (s: Score): number => (s.tp + s.fn === 0 ? 1 : s.tp / (s.tp + s.fn));

function report(title: string, scores: Record<PiiType, Score>): void {
  const rows = PII_TYPES.map((t) => {
    const s = scores[t];
    return `${t.padEnd(15)} ${String(s.tp + s.fn).padStart(4)} ${String(s.tp).padStart(4)} ${String(s.fp).padStart(4)} ${String(s.fn).padStart(4)}  ${precision(s).toFixed(3)}  ${recall(s).toFixed(3)}`;
  });
  console.log([title, "type            gold   tp   fp   fn  prec.  recall", ...rows].join("\n"));
}

/** Minimums the detector meets on the labelled set (docs/pii.md has the measured figures). */
const MINIMUMS: Record<PiiType, { precision: number; recall: number }> = {
  email: { precision: 0.95, recall: 0.9 },
  phone: { precision: 0.95, recall: 0.9 },
  card: { precision: 0.95, recall: 0.9 },
  us_ssn: { precision: 0.95, recall: 0.9 },
  iban: { precision: 0.95, recall: 0.9 },
  ip: { precision: 0.95, recall: 0.9 },
  date_of_birth: { precision: 0.9, recall: 0.85 },
  street_address: { precision: 0.9, recall: 0.85 },
  person_name: { precision: 0.9, recall: 0.7 },
};

describe("labelled set (test/fixtures/pii-labelled.jsonl)", () => {
  it("has at least 150 well-formed lines whose labels occur in their text", () => {
    expect(labelled.length).toBeGreaterThanOrEqual(150);
    for (const line of labelled) {
      expect(["dev", "holdout"]).toContain(line.split);
      for (const entity of line.entities) {
        expect(PII_TYPES).toContain(entity.type);
        expect(line.text).toContain(entity.value);
      }
    }
  });

  it("meets the per-type precision and recall minimums", () => {
    const all = score(labelled);
    report(`PII detector on ${labelled.length} labelled lines`, all);
    report("held-out lines only", score(labelled.filter((line) => line.split === "holdout")));
    for (const type of PII_TYPES) {
      expect(precision(all[type]), `${type} precision`).toBeGreaterThanOrEqual(MINIMUMS[type].precision);
      expect(recall(all[type]), `${type} recall`).toBeGreaterThanOrEqual(MINIMUMS[type].recall);
    }
  });
});

describe("second held-out set (test/fixtures/pii-heldout-2.jsonl)", () => {
  // Only the format is tested: scores on this set are reported in docs/pii.md, not gated, so that
  // nobody tunes the detector until it passes.
  it("has at least 60 held-out lines, 5 labels of each type and 20 lines without PII", () => {
    const lines = parseJsonl(heldout2Jsonl);
    expect(lines.length).toBeGreaterThanOrEqual(60);
    expect(lines.filter((line) => line.entities.length === 0).length).toBeGreaterThanOrEqual(20);
    for (const line of lines) {
      expect(line.split).toBe("holdout");
      for (const entity of line.entities) expect(line.text).toContain(entity.value);
    }
    for (const type of PII_TYPES) {
      expect(lines.flatMap((line) => line.entities).filter((e) => e.type === type).length, type).toBeGreaterThanOrEqual(5);
    }
  });
});
