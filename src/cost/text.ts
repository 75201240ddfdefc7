/**
 * Pure text functions for the cost tiers: the exact-cache key form, built-in intents for static
 * rules, follow-up detection, and the near-opposite guard of the similarity cache.
 */
export { normalizeText } from "./text/normalize";
export { contentTokens, expandContractions, STOPWORDS, wordTokens } from "./text/tokens";
export { BUILTIN_INTENTS, type BuiltinIntent, matchCacheRulePattern, matchIntent, MAX_PATTERN_INPUT } from "./text/intents";
export { isFollowUp } from "./text/follow-up";
export { opposesMeaning } from "./text/opposes";
