/**
 * Word lists for the person-name detector (names.ts): words that follow a name cue without being
 * a name. Kept apart so the detector reads as rules, not lists.
 */

/** Capitalised words that follow the cues but are not names ("I'm Sorry", "Thanks, Team"). */
export const NOT_NAMES: ReadonlySet<string> = new Set(
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
    "Indian Chinese Australian Irish Scottish Street Road Avenue Ltd Inc Corp LLC GmbH " +
    // Card and statement words, which an ALL-CAPS field ("Cardholder: VISA DEBIT") is made of.
    "Visa Mastercard Amex Debit Credit Unknown None Same Joint"
  ).split(" "),
);

/**
 * Lowercase words that follow "my name is" in a sentence written without capitals ("my name is
 * spelt wrong", "my name is not on the card"), or make up an ALL-CAPS one ("MY NAME IS MISSING").
 * Only consulted for lowercase and ALL-CAPS tokens: a capitalised token is judged by `NOT_NAMES`.
 */
export const COMMON_WORDS: ReadonlySet<string> = new Set(
  (
    "wrong incorrect incorrectly correct correctly right different missing misspelled misspelt mispelled spelled spelt " +
    "spelling changed changing printed showing shown displayed listed written registered same fine ok okay there here " +
    "gone blank empty not still also now only too already legally officially actually really just unusual long short " +
    "hyphenated double common similar locked blocked linked attached used mentioned stated given incomplete cut " +
    "truncated abbreviated mixed swapped reversed backwards all both no none unknown hidden private is was has had " +
    "will can could would should does did do be been being a an the my your his her our their its it this that " +
    "these those on in at of to for from with by as and or but so because since if when then than please thanks " +
    "hi hello hey sorry yes new old wrongly"
  ).split(" "),
);
