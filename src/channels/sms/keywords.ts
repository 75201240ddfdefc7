/**
 * Carrier opt-out keywords, handled before the agent: only a message that is exactly one of
 * these words counts ("STOP PLEASE" does not), as Twilio's own handling does.
 */
const STOP = new Set(["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"]);
const START = new Set(["START", "YES", "UNSTOP"]);
const HELP = new Set(["HELP", "INFO"]);

export type SmsKeyword = "stop" | "start" | "help";

export function smsKeyword(body: string): SmsKeyword | null {
  const word = body.trim().replace(/[.!]+$/, "").toUpperCase();
  if (STOP.has(word)) return "stop";
  if (START.has(word)) return "start";
  if (HELP.has(word)) return "help";
  return null;
}
