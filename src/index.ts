import { systemClock } from "./core/clock";
import { jsonLogger } from "./core/logger";
import { createWorker } from "./worker";

export { AgentState } from "./state/agent-state";
export { Conversation } from "./state/conversation";
export { VectorIndexObject } from "./vectors/object";
export { QUEUES } from "./worker";

/**
 * The deployable worker: every agent configured through the admin API. A worker of one's own
 * declares agents in code with `createForeman({ agents })` from the package (docs/library.md).
 */
const worker = createWorker({ clock: systemClock, logger: jsonLogger() });

export default {
  fetch: worker.fetch,
  queue: worker.queue,
  scheduled: worker.scheduled,
  email: worker.email,
} satisfies ExportedHandler<Env>;
