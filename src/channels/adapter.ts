import type { Hono } from "hono";
import type { AgentView, SecretRef } from "../core/agent";
import type { Clock } from "../core/clock";
import type { ReplyTarget, WorkMessage } from "../core/messages";
import type { Answer } from "../core/types";
import type { AppEnv } from "../http/context";
import type { PostedProgress } from "../state/delivery-desk";

/** How a raw email leaves: the `send_email` binding in production. */
export type EmailSender = (from: string, to: string, raw: string) => Promise<void>;

/** What a delivery did: the interaction it answered, how many messages went out (0: none, and why), and what they link to. */
export interface Sent {
  interactionId: string;
  parts: number;
  reason?: string;
  /** Posted messages → the interaction each answers (a Slack reaction becomes feedback). */
  links: Array<{ key: string; interactionId: string }>;
}

/** One queued message's delivery, as the work consumer hands it to its channel's adapter. */
export interface Delivery<K extends ReplyTarget["kind"]> {
  work: WorkMessage & { reply: Extract<ReplyTarget, { kind: K }> };
  view: AgentView;
  /** The values of the adapter's `deliverySecrets`, in order (null: not set). */
  secrets: Array<string | null>;
  env: Pick<Env, "SLACK_API_URL" | "TWILIO_API_URL">;
  clock: Clock;
  sendEmail: EmailSender;
  /** The answer is at hand (a notice, no model call): no progress placeholder is needed. */
  immediate: boolean;
  /** The answer from the pipeline; `onStep` reports each model step as it happens. */
  answer(hooks?: { onStep?(step: number, tools: string[]): Promise<void> }): Promise<Answer>;
  /** Whether a number sent STOP, asked at the moment of sending. */
  smsOptedOut(number: string): Promise<boolean>;
  /**
   * What this delivery keeps across the queue's retries: the progress placeholder an earlier
   * attempt posted (reuse it), and where the adapter records the one it posts.
   */
  memo: { progress?: PostedProgress };
}

/**
 * The outbound half of a channel: the credentials it delivers with and how it sends a queued
 * message's answer. A new provider is a folder with its adapter and a line in `registry.ts`.
 */
export interface DeliveryAdapter<K extends ReplyTarget["kind"]> {
  kind: K;
  /** Read in the delivery's first round trip, by this adapter only. */
  deliverySecrets: SecretRef[];
  deliver(delivery: Delivery<K>): Promise<Sent>;
  /**
   * Tells the customer, once per delivery, that the answer is coming: called on the first
   * attempt that failed because the model API was down (the queue retries it later).
   */
  hold?(delivery: Omit<Delivery<K>, "answer" | "immediate">): Promise<void>;
}

/** The holding notice, on a delivery's first model outage: short, and true whatever happens next. */
export const HOLDING_TEXT = "Thanks for your message. It is taking us a little longer than usual to answer; your reply is on its way.";

/**
 * One channel as the worker mounts it: its webhook routes (verify, parse, answer or queue) and,
 * for channels answered from the work queue, its delivery. Each folder's `index.ts` exports one.
 */
export interface Channel {
  type: "http" | ReplyTarget["kind"];
  /** The webhook routes under `/webhooks/:agentId/<type>`; email arrives by the `email()` handler instead. */
  routes?: Hono<AppEnv>;
  delivery?: AnyDeliveryAdapter;
}

/** A delivery adapter of any kind. */
export type AnyDeliveryAdapter = { [K in ReplyTarget["kind"]]: DeliveryAdapter<K> }[ReplyTarget["kind"]];
