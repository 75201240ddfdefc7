import { describe, expect, it } from "vitest";
import { detectUrgency, type UrgencyInput } from "../../src/pipeline/urgency";

const http = (text: string): UrgencyInput => ({ channel: "http", text });
const urgencyOf = (text: string) => detectUrgency(http(text)).urgency;

describe("detectUrgency: safety cues are always critical", () => {
  it.each([
    ["I think there is fraud on my account", "safety:fraud"],
    ["There are fraudulent charges on my card", "safety:fraud"],
    ["I got scammed by a seller", "safety:fraud"],
    ["My card was stolen", "safety:stolen"],
    ["Someone stole my wallet with my cards in it", "safety:stolen"],
    ["My account has been hacked", "safety:hacked"],
    ["I think my card has been compromised", "safety:hacked"],
    ["Someone else is using my card", "safety:hacked"],
    ["There is an unauthorized charge on my statement", "safety:unauthorized-transaction"],
    ["There is a transaction I didn't make", "safety:unauthorized-transaction"],
    ["I don't recognise this payment", "safety:unauthorized-transaction"],
    ["My card was used without my permission", "safety:unauthorized-transaction"],
    ["I'm locked out of my account", "safety:locked-out"],
    ["I can't access my money", "safety:locked-out"],
    ["This is an emergency", "safety:emergency"],
    ["Is there an outage?", "safety:outage"],
    ["Your site is down", "safety:outage"],
    ["The system is down and checkout fails", "safety:outage"],
    ["Was there a data breach?", "safety:data-breach"],
    ["I have chest pain", "safety:medical"],
    ["My friend took an overdose", "safety:medical"],
    ["I'm thinking about suicide", "safety:self-harm"],
    ["I want to hurt myself", "safety:self-harm"],
    ["I think about self-harm a lot", "safety:self-harm"],
  ])("%j is critical with %s", (text, cue) => {
    const verdict = detectUrgency(http(text));
    expect(verdict.urgency).toBe("critical");
    expect(verdict.cues).toContain(cue);
    expect(verdict.score).toBeGreaterThanOrEqual(10);
  });

  it("stays critical when the customer also says there is no rush", () => {
    expect(detectUrgency(http("No rush, but my card was stolen")).urgency).toBe("critical");
  });

  it("matches the fraud family on purpose but only on whole words", () => {
    expect(detectUrgency(http("a fraudulently made payment")).cues).toContain("safety:fraud");
    expect(urgencyOf("Is the fraudometer app any good?")).toBe("normal");
  });
});

describe("detectUrgency: urgency words", () => {
  it.each([
    ["This is urgent", "keyword:urgent"],
    ["I urgently need my card", "keyword:urgent"],
    ["Please reply ASAP", "keyword:asap"],
    ["Please reply a.s.a.p.", "keyword:asap"],
    ["I need it as soon as possible", "keyword:asap"],
    ["Cancel the transfer immediately", "keyword:immediately"],
    ["Please sort this right away", "keyword:immediately"],
    ["This is critical for my business", "keyword:critical"],
    ["Help! My transfer failed", "keyword:help"],
    ["It is time-sensitive", "keyword:urgent"],
  ])("%j is high with %s", (text, cue) => {
    const verdict = detectUrgency(http(text));
    expect(verdict.urgency).toBe("high");
    expect(verdict.cues).toContain(cue);
  });

  it("weighs 'right now' lightly because it often only says when", () => {
    expect(detectUrgency(http("How's the exchange rate looking right now?"))).toEqual({ urgency: "normal", score: 2, cues: ["keyword:right-now"] });
    expect(urgencyOf("I need my money right now!!")).toBe("high");
  });

  it("never reaches critical without a safety cue", () => {
    const verdict = detectUrgency(http("URGENT!!! HELP!! I NEED THIS FIXED RIGHT NOW, TODAY, ASAP, IT IS CRITICAL"));
    expect(verdict.urgency).toBe("high");
    expect(verdict.score).toBe(9);
  });

  it("does not match urgency words inside other words", () => {
    expect(urgencyOf("I use the Wasap app")).toBe("normal");
    expect(urgencyOf("My surgentry appointment")).toBe("normal");
    expect(urgencyOf("Is helpful support available?!")).toBe("normal");
  });

  it("counts 'help' only with an exclamation mark", () => {
    expect(urgencyOf("Please help me with my card.")).toBe("normal");
    expect(detectUrgency(http("HELP?!")).cues).toContain("keyword:help");
  });
});

describe("detectUrgency: deadlines", () => {
  it.each([
    "I need it today",
    "Can you do it tonight",
    "Please fix it by 5pm",
    "Please fix it by 17:00",
    "Please fix it by 5 pm",
    "I need it within the hour",
    "The deadline is close",
    "It has to be done before Friday",
    "by end of day please",
  ])("%j is a deadline", (text) => {
    expect(detectUrgency(http(text)).cues).toContain("deadline");
  });

  it("is not high on its own but is with an urgency word", () => {
    expect(urgencyOf("I topped up today")).toBe("normal");
    expect(detectUrgency(http("I need this urgently, by tomorrow"))).toEqual({ urgency: "high", score: 5, cues: ["keyword:urgent", "deadline"] });
  });

  it("does not read a number after 'by' as a time", () => {
    expect(detectUrgency(http("The rate went up by 2 percent")).cues).not.toContain("deadline");
  });
});

describe("detectUrgency: emotional intensity", () => {
  it("reads two or more all-caps words as shouting", () => {
    expect(detectUrgency(http("WHERE IS MY CARD")).cues).toContain("shouting");
    expect(detectUrgency(http("My card is MISSING")).cues).not.toContain("shouting");
  });

  it("counts a shouted word once, as the email handler repeats the Subject in the body", () => {
    const verdict = detectUrgency({ channel: "email", subject: "URGENT: refund", text: "Subject: URGENT: refund\n\nPlease refund me." });
    expect(verdict.cues).not.toContain("shouting");
    expect(verdict.cues).toEqual(["keyword:urgent", "email:subject-urgent"]);
  });

  it.each(["My ATM PIN is wrong", "Use the IBAN and SWIFT code", "Do you take VISA or AMEX cards"])(
    "ignores acronyms in %j",
    (text) => {
      expect(detectUrgency(http(text)).cues).not.toContain("shouting");
    },
  );

  it("reads a run of exclamation marks and repeated ?!", () => {
    expect(detectUrgency(http("Where is my card!!")).cues).toEqual(["exclamations"]);
    expect(detectUrgency(http("Where is my card!")).cues).toEqual([]);
    expect(detectUrgency(http("Why?! Why?!")).cues).toEqual(["interrobang"]);
    expect(detectUrgency(http("Why was I charged?!?")).cues).toEqual(["interrobang"]);
    expect(detectUrgency(http("Why?!")).cues).toEqual([]);
  });

  it("makes an angry message high only when cues combine", () => {
    expect(urgencyOf("WHERE IS MY CARD")).toBe("normal");
    expect(urgencyOf("WHERE IS MY CARD!!")).toBe("high");
    expect(detectUrgency(http("WHERE IS MY CARD!!!! WHY?!?! WHY?!?!")).score).toBe(3);
  });
});

describe("detectUrgency: negation and de-escalation", () => {
  it.each([
    "This is not urgent",
    "It's not really urgent, no rush",
    "No rush, whenever you can",
    "No hurry on this one, by Friday is fine",
    "This is a non-emergency question",
    "Not an emergency, just curious",
    "non-urgent: how do I change my address?",
    "Whenever you can, please reply asap",
    "Pas urgent, merci",
    "Nicht dringend",
    "No es urgente",
    "Não é urgente",
    "Sin prisa",
  ])("%j is normal and says negated", (text) => {
    const verdict = detectUrgency(http(text));
    expect(verdict.urgency).toBe("normal");
    expect(verdict.cues).toContain("negated");
  });

  it("negates only within the clause", () => {
    expect(urgencyOf("No, this is urgent")).toBe("high");
    expect(urgencyOf("I don't know what to do. This is urgent")).toBe("high");
  });

  it("drops a negated safety word but keeps everything else", () => {
    expect(detectUrgency(http("It wasn't stolen, I just lost it. Please send a new card asap"))).toEqual({
      urgency: "high",
      score: 3,
      cues: ["keyword:asap", "negated"],
    });
  });

  it("does not treat doubt as negation", () => {
    expect(urgencyOf("I'm not sure but this could be fraud")).toBe("critical");
    expect(urgencyOf("Not sure, fraud maybe?")).toBe("critical");
  });
});

describe("detectUrgency: multilingual", () => {
  it.each([
    ["Es urgente, por favor", "keyword:urgent", "high"],
    ["C'est urgent", "keyword:urgent", "high"],
    ["J'ai besoin d'aide d'urgence", "keyword:urgent", "high"],
    ["Bitte dringend antworten", "keyword:urgent", "high"],
    ["É urgente!", "keyword:urgent", "high"],
    ["Necesito ayuda lo antes posible", "keyword:asap", "high"],
    ["Bitte sofort sperren", "keyword:immediately", "high"],
    ["Creo que es un fraude", "safety:fraud", "critical"],
    ["Je pense que c'est une fraude", "safety:fraud", "critical"],
    ["Das ist Betrug", "safety:fraud", "critical"],
    ["Betrügerische Abbuchung", "safety:fraud", "critical"],
    ["Meu cartão foi roubado", "safety:stolen", "critical"],
    ["Mi tarjeta fue robada", "safety:stolen", "critical"],
    ["Meine Karte wurde gestohlen", "safety:stolen", "critical"],
    ["Ma carte a été volée", "safety:stolen", "critical"],
    ["Es una emergencia", "safety:emergency", "critical"],
    ["Es ist ein Notfall", "safety:emergency", "critical"],
    ["Hay un cargo que no reconozco", "safety:unauthorized-transaction", "critical"],
  ])("%j fires %s and is %s", (text, cue, urgency) => {
    const verdict = detectUrgency(http(text));
    expect(verdict.cues).toContain(cue);
    expect(verdict.urgency).toBe(urgency);
  });
});

describe("detectUrgency: channel cues", () => {
  const email = (extra: Partial<UrgencyInput>): UrgencyInput => ({ channel: "email", text: "Please look at my refund.", ...extra });

  it.each(["high", "High", "1", "2", "1 (Highest)", "2 (High)", "urgent", "Importance: high", "X-Priority: 1"])(
    "reads priority header %j as high importance",
    (priorityHeader) => {
      expect(detectUrgency(email({ priorityHeader })).cues).toEqual(["email:importance-high"]);
    },
  );

  it.each(["normal", "low", "3", "3 (Normal)", "5 (Lowest)", "non-urgent", ""])("ignores priority header %j", (priorityHeader) => {
    expect(detectUrgency(email({ priorityHeader })).cues).toEqual([]);
  });

  it("does not make a message high on a header alone, since some senders flag everything", () => {
    expect(detectUrgency(email({ priorityHeader: "high" }))).toEqual({ urgency: "normal", score: 2, cues: ["email:importance-high"] });
    expect(detectUrgency(email({ priorityHeader: "high", text: "Please look at my refund today." })).urgency).toBe("high");
  });

  it.each(["URGENT: card declined", "Urgent - card declined", "[URGENT] card declined", "Re: URGENT card declined", "Fwd: Dringend"])(
    "reads subject %j as starting urgent",
    (subject) => {
      const verdict = detectUrgency(email({ subject }));
      expect(verdict.cues).toContain("email:subject-urgent");
      expect(verdict.urgency).toBe("high");
    },
  );

  it("scans the subject for words too", () => {
    expect(detectUrgency(email({ subject: "Card stolen" })).urgency).toBe("critical");
    expect(detectUrgency(email({ subject: "Question about an urgent transfer" })).cues).toEqual(["keyword:urgent"]);
  });

  it("lets the body de-escalate an urgent subject", () => {
    expect(detectUrgency(email({ subject: "URGENT", text: "Sorry, not urgent at all, no rush." })).urgency).toBe("normal");
  });

  it("reads email flags only on the email channel", () => {
    expect(detectUrgency({ channel: "http", text: "hello", subject: "URGENT", priorityHeader: "1" }).cues).toEqual(["keyword:urgent"]);
  });

  it("weighs the same words the same on SMS and Slack", () => {
    for (const channel of ["sms", "slack", "http"] as const) {
      expect(detectUrgency({ channel, text: "card stolen, block it asap" })).toEqual({
        urgency: "critical",
        score: 13,
        cues: ["safety:stolen", "keyword:asap"],
      });
    }
  });
});

describe("detectUrgency: ordinary questions stay normal", () => {
  it.each(["How do I change my PIN?", "What are your opening hours?", "My card hasn't arrived yet"])("%j", (text) => {
    expect(detectUrgency(http(text))).toEqual({ urgency: "normal", score: 0, cues: [] });
  });

  // Verbatim from banking77 train.csv (PolyAI, CC BY 4.0), about one per category.
  it.each([
    "I am still waiting on my card?",
    "Why am I missing my refund",
    "Please help me with my card.  It won't activate.",
    "I want to open an account for my children",
    "Hi, I have an apple watch. How do I use it to top up my card?",
    "I can use this card at which ATMs?",
    "Can I add money automatically to my account while traveling?",
    "help my money isnt showing up",
    "Why is my last cheque deposit taking so long?",
    "is there something blocking me from making transfers",
    "Are there any express fees if i want my new card faster?",
    "Is there anywhere I can't use my card?",
    "Can it specifically be delivered on a certain date?",
    "I can't use my card because it is not working.",
    "There was a fee charged when I paid with my card.",
    "I think the currency exchange that's been applied is wrong.",
    "What do I do if the ATM took my card?",
    "Is it possible for me to change my PIN number?",
    "Which countries are you available in?",
    "I'm not sure why my card didn't work",
    "I tried to withdraw cash and got declined, why is that?",
    "Do the disposable cards have any restrictions on them?",
    "How much is the exchange fee?",
    "What is my money worth in other countries?",
    "Can I change from AUD to GBP?",
    "Why is there an extra fee on my statement?",
    "Is there a reason that my transfer failed?",
    "How many different currencies can I hold money in?",
    "I'm not sure what to do about the PIN, because I don't have one yet.",
    "I would like to order a virtual card, where can I get one?",
    "Can my salary be received here?",
    "Help me!  I don't know what my password is.",
    "What does it mean when a payment is pending?",
    "I have exceeded the number of PIN attempts",
    "How long does it take to get a refund on something I bought?",
    "How do I deactivate my account?",
    "Help me please, I need to top up cash.",
    "A transaction shows duplicate times.",
    "How long am I to wait before the transfer gets to my account?",
    "Why isn't my disposable virtual card working?",
    "The wrong exchange rate was applied to me while pulling out cash.",
  ])("%j", (text) => {
    expect(detectUrgency(http(text))).toEqual({ urgency: "normal", score: 0, cues: [] });
  });
});

describe("detectUrgency: limits", () => {
  it("reads only the first 4,000 characters", () => {
    const padding = "Hello there. ".repeat(400);
    expect(padding.length).toBeGreaterThan(4_000);
    expect(urgencyOf(`${padding}My card was stolen`)).toBe("normal");
    expect(urgencyOf(`My card was stolen. ${padding}`)).toBe("critical");
  });

  // Workers' clock stands still during synchronous code, so the test timeout is the bound here;
  // docs/urgency.md gives the timings measured under Node.
  it("finishes on input built to make a scanner backtrack", () => {
    const hostile = ["!".repeat(100_000), "?!".repeat(50_000), "a'".repeat(50_000), "someone ".repeat(20_000), "can't ".repeat(20_000), "by 5 ".repeat(20_000)];
    for (const text of hostile) {
      expect(detectUrgency({ channel: "email", text, subject: text, priorityHeader: text }).urgency).not.toBe("critical");
    }
  });

  it("handles empty input", () => {
    expect(detectUrgency({ channel: "sms", text: "" })).toEqual({ urgency: "normal", score: 0, cues: [] });
  });
});
