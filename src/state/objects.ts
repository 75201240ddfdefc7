import type { AgentState } from "./agent-state";
import { type Conversation, conversationName } from "./conversation";

/** The agent's own Durable Object: one per agent id. */
export function agentObject(env: { AGENT_STATE: DurableObjectNamespace<AgentState> }, agentId: string) {
  return env.AGENT_STATE.get(env.AGENT_STATE.idFromName(agentId));
}

/** A conversation's Durable Object: one per agent, channel and conversation key. */
export function conversationObject(
  conversations: DurableObjectNamespace<Conversation>,
  at: { agentId: string; channel: string; conversationKey: string },
) {
  return conversations.get(conversations.idFromName(conversationName(at.agentId, at.channel, at.conversationKey)));
}
