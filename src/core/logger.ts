/**
 * Structured logs: one JSON object per line, `{ level, event, ...fields }`, which Workers Logs
 * and `wrangler tail` index by field. Fields never carry customer text.
 */
export type LogFields = Record<string, string | number | boolean | null | undefined | string[]>;

export interface Logger {
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  /** A logger that adds these fields to every line (a request id, an agent). */
  with(fields: LogFields): Logger;
}

/**
 * Writes each line with `console.log`/`warn`/`error` (the Workers runtime collects them).
 *
 * @example
 * jsonLogger({ requestId: "r1" }).info("message.answered", { tier: "rule", costMicros: 0 });
 * // {"level":"info","event":"message.answered","requestId":"r1","tier":"rule","costMicros":0}
 */
export function jsonLogger(base: LogFields = {}, sink: Pick<Console, "log" | "warn" | "error"> = console): Logger {
  const write = (level: "info" | "warn" | "error", event: string, fields: LogFields = {}) => {
    const line = JSON.stringify({ level, event, ...base, ...fields });
    if (level === "info") sink.log(line);
    else if (level === "warn") sink.warn(line);
    else sink.error(line);
  };
  return {
    info: (event, fields) => write("info", event, fields),
    warn: (event, fields) => write("warn", event, fields),
    error: (event, fields) => write("error", event, fields),
    with: (fields) => jsonLogger({ ...base, ...fields }, sink),
  };
}

/** Says nothing: for tests and tools that do not want logs. */
export const silentLogger: Logger = {
  info: () => {},
  warn: () => {},
  error: () => {},
  with: () => silentLogger,
};
