import { AppError } from "../core/errors";

/** A credential a channel needs, or 401 naming it (`slack.botToken`) when the agent has none. */
export function requireSecret(value: string | null | undefined, name: string): string {
  if (!value) throw new AppError("unauthorized", `this agent has no secret ${name}`);
  return value;
}
