import type { AgentState } from "./agent-state";
import { type Conversation, conversationName } from "./conversation";

/**
 * The agent object's calls that may be sent again after a reset: reads, and the message protocol's
 * round trips, which the object recognises when repeated by the same attempt (message-desk.ts).
 */
const REPEATABLE = new Set<string>(["snapshot", "admit", "trustLevelNow", "reserveCall", "finish"]);

/**
 * Whether a call failed because the object was reset (a deploy, an eviction) or its connection
 * was lost, so a new stub may succeed: the runtime marks these errors `durableObjectReset`, or
 * `retryable` without `overloaded` (an overloaded object must not be sent more).
 */
export function wasReset(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const flags = err as { durableObjectReset?: unknown; retryable?: unknown; overloaded?: unknown };
  return flags.durableObjectReset === true || (flags.retryable === true && flags.overloaded !== true);
}

/**
 * The agent's own Durable Object: one per agent id. A stub breaks for good when its object is
 * reset; the calls in `REPEATABLE` are sent once more on a new stub, so a deploy in the middle of
 * a message neither fails the customer's answer nor strands its reservation and outcome.
 */
export function agentObject(env: { AGENT_STATE: DurableObjectNamespace<AgentState> }, agentId: string) {
  const ns = env.AGENT_STATE;
  const id = ns.idFromName(agentId);
  let stub = ns.get(id);
  type Method = (...args: unknown[]) => Promise<unknown>;
  const call = (prop: string, args: unknown[]) => (stub as unknown as Record<string, Method>)[prop]!(...args);
  return new Proxy(stub, {
    get(_target, prop) {
      const value = Reflect.get(stub, prop);
      if (typeof prop !== "string" || prop === "then" || typeof value !== "function") return value;
      if (!REPEATABLE.has(prop)) return (...args: unknown[]) => call(prop, args);
      return async (...args: unknown[]) => {
        try {
          return await call(prop, args);
        } catch (err) {
          if (!wasReset(err)) throw err;
          stub = ns.get(id);
          return call(prop, args);
        }
      };
    },
  });
}

/** A conversation's Durable Object: one per agent, channel and conversation key. */
export function conversationObject(
  conversations: DurableObjectNamespace<Conversation>,
  at: { agentId: string; channel: string; conversationKey: string },
) {
  return conversations.get(conversations.idFromName(conversationName(at.agentId, at.channel, at.conversationKey)));
}
