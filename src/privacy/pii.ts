/**
 * PII detection and masking: the one function every store, cache and analytics sink applies
 * before anything leaves the request (issue 6, item 3). `maskPiiFailClosed` is the entry point;
 * it never returns the input unmasked. Method, labelled set and measured precision/recall:
 * docs/pii.md.
 */
export { containsPii, detectPii, mayContainPii } from "./pii/detect";
export {
  maskPii,
  maskPiiFailClosed,
  normalizePii,
  piiTag,
  PII_FAILURE_TEXT,
  type MaskedSpan,
  type MaskMode,
  type MaskOptions,
  type MaskResult,
} from "./pii/mask";
export { PII_TYPES, type PiiDetector, type PiiMatch, type PiiType } from "./pii/types";
