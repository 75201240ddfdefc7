import { DurableObject } from "cloudflare:workers";
import { LOCAL_EMBEDDER } from "./similarity";
import { fromWire, type VectorRpc, type WireVectorEntry } from "./vector-index";
import { type VectorMatch, VectorStore } from "./vector-store";

/**
 * The local vector index of one agent (`VECTOR_INDEX=local`): a `VectorStore` in its own
 * SQLite storage. It is an object of its own, not a part of the agent's `AgentState`, so the
 * similarity cache's queries never queue behind the agent's budget and trust bookkeeping.
 */
export class VectorIndexObject extends DurableObject<Env> implements VectorRpc {
  #store: VectorStore;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#store = new VectorStore(ctx.storage.sql, { embedder: LOCAL_EMBEDDER });
  }

  /** The nearest live entries of this agent. */
  async vectorQuery(vector: ArrayBuffer, topK: number, now: number): Promise<VectorMatch[]> {
    return this.#store.query(new Float32Array(vector), { topK, now });
  }

  async vectorUpsert(entries: WireVectorEntry[]): Promise<void> {
    this.#store.upsert(entries.map(fromWire));
  }

  async vectorDelete(ids: string[]): Promise<void> {
    this.#store.delete(ids);
  }
}
