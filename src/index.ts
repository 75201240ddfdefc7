import { createForeman } from "./lib/foreman";

export { AgentState } from "./state/agent-state";
export { Conversation } from "./state/conversation";
export { VectorIndexObject } from "./vectors/object";
export { QUEUES } from "./lib/foreman";

/**
 * The deployable worker: Foreman with no agents in code, every agent configured through the
 * admin API. A worker of one's own declares its agents with `createForeman({ agents })`
 * (docs/library.md).
 */
const foreman = createForeman({ agents: [] });

export default {
  fetch: foreman.fetch,
  queue: foreman.queue,
  scheduled: foreman.scheduled,
  email: foreman.email,
} satisfies ExportedHandler<Env>;
