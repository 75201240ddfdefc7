/**
 * The small field schemas the agent config is built from, each with the message a user reads
 * when the value breaks its rule. Structural messages (wrong type, unknown option) come from
 * `configErrorMap` in `./errors`.
 */
import { z } from "zod";

/** Shown for any value that is not a duration string. */
export const DURATION_MESSAGE = 'must be a duration like "90d" or "7y"';

const DURATION_RE = /^(\d+)(ms|s|m|h|d|w|y)$/;

const UNIT_MS = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  // Retention law counts calendar years; 365 days is the conservative reading for deletion.
  y: 365 * 86_400_000,
} as const;

/**
 * Milliseconds in a duration string (`ms`, `s`, `m` = minutes, `h`, `d`, `w`, `y` = 365 days).
 * Throws a RangeError for anything else.
 *
 * @example
 * parseDuration("5m"); // 300000
 * parseDuration("7y"); // 220752000000
 */
export function parseDuration(value: string): number {
  const match = DURATION_RE.exec(value);
  if (!match) throw new RangeError(`"${value}" ${DURATION_MESSAGE}`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/**
 * A duration string at least `minMs` long; 0 allows `"0s"` (e.g. no cooldown).
 *
 * @example
 * duration(86_400_000).parse("90d");
 */
export function duration(minMs = 1, minText = "must be longer than 0") {
  return z
    .string()
    .regex(DURATION_RE, { error: DURATION_MESSAGE })
    .refine((s) => !DURATION_RE.test(s) || Number.isSafeInteger(parseDuration(s)), { error: "is too long" })
    .refine((s) => !DURATION_RE.test(s) || parseDuration(s) >= minMs, { error: minText });
}

/** A number in [min, max], with the range in its message. */
export function between(min: number, max: number) {
  const error = `must be between ${min} and ${max}`;
  return z.number().min(min, { error }).max(max, { error });
}

/** A share or probability: [0, 1]. */
export const unit = () => between(0, 1);

/** A number in (0, max]: zero would make the setting a no-op. */
export function positiveUpTo(max: number) {
  const error = `must be greater than 0 and at most ${max}`;
  return z.number().gt(0, { error }).max(max, { error });
}

const WHOLE = { error: "must be a whole number" };

/** A whole number in [min, max]. */
export function intBetween(min: number, max: number) {
  const error = `must be between ${min} and ${max}`;
  return z.number().int(WHOLE).min(min, { error }).max(max, { error });
}

/** A whole number of at least `min`. */
export function intAtLeast(min: number) {
  return z.number().int(WHOLE).min(min, { error: `must be at least ${min}` });
}

/** A non-empty string of at most `max` characters. */
export function text(max: number) {
  return z
    .string()
    .min(1, { error: "must not be empty" })
    .max(max, { error: `must be at most ${max} characters` });
}

/** An http(s) URL; local fakes in tests and dev are plain http. */
export const httpUrl = () => z.url({ protocol: /^https?$/, error: "must be an http(s) URL" });

export const email = () => z.email({ error: "must be an email address" });

/** More `*` than this in one glob could make matching a tool name slow (each `*` can backtrack over the others). */
const MAX_GLOB_STARS = 3;

/** A tool name or glob: `Read`, `mcp__slack__*`, `*`. */
export const toolGlob = () =>
  z
    .string()
    .regex(/^[A-Za-z0-9_*.-]{1,128}$/, {
      error: 'must be a tool name or glob of letters, digits, "_", "-", "." and "*" (at most 128)',
    })
    .refine((glob) => glob.split("*").length - 1 <= MAX_GLOB_STARS, {
      error: `must have at most ${MAX_GLOB_STARS} "*"`,
    });

/** A boolean switch with its default. */
export const flag = (value: boolean) => z.boolean().default(value);

/** A channel's optional features, none by default. */
export function features<const T extends readonly [string, ...string[]]>(values: T) {
  return z.array(z.enum(values)).default(() => []);
}

/** Rejects repeated values in a list, naming the first repeat by its index. */
export function noDuplicates(what: string) {
  return <T extends string>(list: T[], ctx: z.core.$RefinementCtx<T[]>) => {
    list.forEach((value, i) => {
      if (list.indexOf(value) !== i) ctx.addIssue({ code: "custom", path: [i], message: `duplicate ${what} "${value}"` });
    });
  };
}

/** Whether the runtime knows the IANA time zone (`Intl` throws a RangeError otherwise). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
