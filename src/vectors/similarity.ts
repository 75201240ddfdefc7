import { type Embedder, HashingEmbedder, WorkersAiEmbedder } from "./embedder";
import { DurableVectorIndex, type VectorIndex, VectorizeIndex } from "./vector-index";

/** The local pair: hashing embeddings in a per-agent index object (dev, tests, small tenants). */
export const LOCAL_EMBEDDER = new HashingEmbedder();

export interface SimilarityBackend {
  embedder: Embedder;
  index: VectorIndex;
}

/**
 * The embedder and vector index the deployment's vars choose: Workers AI with Vectorize in
 * production (`EMBEDDINGS=workers-ai`, `VECTOR_INDEX=vectorize`), the local pair otherwise.
 * Both have no local simulator, so `npm run dev` and the tests set both vars to `local`.
 * Null when a binding the choice needs is not bound: the similarity cache is then off.
 */
export function similarityBackend(env: Pick<Env, "EMBEDDINGS" | "VECTOR_INDEX"> & Partial<Pick<Env, "AI" | "VECTORIZE" | "VECTORS">>): SimilarityBackend | null {
  const { AI, VECTORIZE, VECTORS } = env;
  if (env.EMBEDDINGS !== "local" && !AI) return null;
  if (env.VECTOR_INDEX === "local" ? !VECTORS : !VECTORIZE) return null;
  const embedder = env.EMBEDDINGS === "local" || !AI ? LOCAL_EMBEDDER : new WorkersAiEmbedder(AI);
  const index = VECTORS && env.VECTOR_INDEX === "local" ? new DurableVectorIndex((agentId) => VECTORS.get(VECTORS.idFromName(agentId))) : new VectorizeIndex(VECTORIZE!);
  if (env.VECTOR_INDEX === "local" && embedder !== LOCAL_EMBEDDER) {
    throw new Error("VECTOR_INDEX=local keeps hashing embeddings only: set EMBEDDINGS=local too");
  }
  return { embedder, index };
}
