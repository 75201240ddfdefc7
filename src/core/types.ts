import type { Micros } from "./money";

/** The channels Foreman speaks. */
export type ChannelType = "http" | "slack" | "email" | "sms";

/** One inbound message, whatever the channel it came from. */
export interface NormalizedMessage {
  agentId: string;
  channel: ChannelType;
  /** The provider's id for this delivery; the dedupe key within the agent. */
  deliveryId: string;
  /** Identifies the conversation within the agent and channel (thread, email chain, phone pair). */
  conversationKey: string;
  /** The sender as the channel names them (user id, address, phone number). */
  sender: string;
  text: string;
  /** Milliseconds since the Unix epoch. */
  receivedAt: number;
  /** The provider's thread id when the channel threads: Slack's `thread_ts`, an email chain's first Message-ID. */
  thread?: string;
  /** Files that came with the message (metadata; the text carries a note per file for the model). */
  attachments?: Attachment[];
  /** Email only: the Subject, and the Importance / X-Priority header as sent (urgency cues). */
  subject?: string;
  priority?: string;
}

/** A file that came with a message. Its content is never in the message itself. */
export interface Attachment {
  name: string;
  mimeType: string;
  /** Bytes, when the provider says. */
  size?: number;
  /** Where the content is: the agent's workspace path (kept in R2) or the provider's URL. */
  ref?: string;
}

/** How urgent a message reads; see `src/pipeline/urgency.ts`. */
export type Urgency = "normal" | "high" | "critical";

/** How urgent the message reads, the score behind it and the cues that made the score. */
export interface UrgencyVerdict {
  urgency: Urgency;
  score: number;
  /** short machine-readable names of the cues that fired, e.g. "keyword:urgent", "safety:fraud", "shouting", "exclamations", "deadline", "email:importance-high", "negated" */
  cues: string[];
}

/** One turn of a conversation as the model sees it. */
export interface Turn {
  role: "user" | "assistant";
  text: string;
}

/** One tool call the model asked for in an answer. */
export interface ToolCallRecord {
  tool: string;
  allowed: boolean;
  isError: boolean;
  /** The arguments the model gave, raw: mask before keeping them anywhere. */
  input?: unknown;
}

/** Which tier produced an answer; `fallback` is the polite reply when no tier could. */
export type Tier = "rule" | "cache" | "similar" | "pattern" | "intelligent" | "fallback";

/** How an interaction ended, as the trust rules count it. */
export type Outcome = "success" | "error" | "denied" | "escalated";

/** A tool call the trust level did not allow. */
export interface ToolDenial {
  tool: string;
  level: number;
  reason: string;
}

/** The answer to one message, as the channel delivers it and the dedupe store replays it. */
export interface Answer {
  interactionId: string;
  text: string;
  tier: Tier;
  costMicros: Micros;
  trustLevel: number;
}

/** One audited action. Details are already masked; nothing here is raw customer text. */
export interface AuditEvent {
  id: string;
  agentId: string;
  /** Milliseconds since the Unix epoch. */
  at: number;
  /** Who acted: `agent`, `admin`, `system`, `customer:<channel>`. */
  actor: string;
  /** Dotted verb: `tool.denied`, `trust.changed`, `trust.feedback`, ... */
  action: string;
  /** What was acted on: a tool name, `trust`, an interaction id. */
  resource: string;
  decision: "allowed" | "denied" | "changed" | "recorded";
  details: Record<string, unknown>;
  costMicros?: number;
  requestId?: string;
}

export type AlertType = "permission_escalation" | "unusual_activity" | "budget_threshold" | "budget_exhausted" | "urgent_message" | "pattern_rolled_back";

/** A condition an operator should look at; stored, and sent to the agent's alert channel. */
export interface Alert {
  id: string;
  agentId: string;
  at: number;
  type: AlertType;
  message: string;
  details: Record<string, unknown>;
}
