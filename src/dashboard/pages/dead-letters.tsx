import type { DeadLetterView } from "../../admin/dead-letters";
import type { Principal } from "../../http/context";
import { Layout } from "../layout";
import { withQuery } from "./audit";

/** The dead letters page of an agent. */
export const deadLettersPath = (agentId: string) => `/dashboard/agents/${encodeURIComponent(agentId)}/dead-letters`;

export interface DeadLettersData {
  agentId: string;
  cursor: string | null;
  deadLetters: DeadLetterView[];
  nextCursor: string | null;
  /** What the last replay did, carried by its redirect: how many went back to the queue and how many were refused. */
  result: { replayed: number; refused: number } | null;
}

const when = (iso: string | null) => (iso === null ? "—" : `${iso.replace("T", " ").slice(0, 16)} UTC`);

/** The channel a kept work message came in on, when the (masked) message says. */
function channelOf(message: unknown): string {
  const inner = (message as { message?: { channel?: unknown } } | null)?.message;
  return typeof inner?.channel === "string" ? inner.channel : "—";
}

/**
 * An agent's dead letters, oldest first, as `GET /v1/agents/:agentId/dead-letters` lists them
 * (each message masked, never more), with "Replay" per replayable letter and "Replay all". A key
 * that may not act sees the forms disabled; the server refuses them anyway.
 */
export function DeadLettersPage(props: { principal: Principal; csrf: string; canReplay: boolean; data: DeadLettersData }) {
  const { data } = props;
  const base = deadLettersPath(data.agentId);
  const replayable = data.deadLetters.filter((d) => d.replayable).length;
  return (
    <Layout title={`${data.agentId} dead letters`} principal={props.principal} csrf={props.csrf}>
      <h1>
        {data.agentId} <span class="muted">dead letters</span>
      </h1>
      <p>
        <a href={`/dashboard/agents/${encodeURIComponent(data.agentId)}`}>Overview</a> · <a href={`/dashboard/agents/${encodeURIComponent(data.agentId)}/alerts`}>Alerts</a>
      </p>
      {data.result ? (
        <p class="card notice" role="status" data-testid="replay-result" data-replayed={String(data.result.replayed)} data-refused={String(data.result.refused)}>
          {data.result.replayed} replayed, {data.result.refused} refused
          {data.result.refused > 0 ? <span class="muted"> (each letter says why it cannot be replayed)</span> : null}
        </p>
      ) : null}
      <div class="grid">
        <div class="card">
          <div class="muted">Dead letters on this page</div>
          <div class="figure" data-figure="dead-letters" data-value={String(data.deadLetters.length)}>
            {data.deadLetters.length}
          </div>
        </div>
        <div class="card">
          <div class="muted">Replayable</div>
          <div class="figure" data-figure="replayable" data-value={String(replayable)}>
            {replayable}
          </div>
          <form method="post" action={`${base}/replay`} class="inline" data-testid="replay-all-form" data-confirm="Send every replayable dead letter back to the work queue?">
            <input type="hidden" name="_csrf" value={props.csrf} />
            <button type="submit" disabled={!props.canReplay}>
              Replay all
            </button>
          </form>
          <div class="muted">At most 100 a time, oldest first.</div>
        </div>
        <section class="card wide">
          <p class="muted">Messages that ran out of retries (a model outage, a refused request). Customer text and addresses are masked here; a replay sends the kept message once.</p>
          {data.deadLetters.length === 0 ? (
            <p class="muted" data-testid="no-dead-letters">
              No dead letters.
            </p>
          ) : (
            <div class="table-wrap">
              <table data-testid="dead-letters">
                <thead>
                  <tr>
                    <th>Received (UTC)</th>
                    <th>Channel</th>
                    <th class="num">Attempts</th>
                    <th>Message</th>
                    <th>Replay</th>
                  </tr>
                </thead>
                <tbody>
                  {data.deadLetters.map((d) => (
                    <tr data-dead-letter={d.id} data-replayable={String(d.replayable)} data-replayed-at={d.replayedAt ?? ""}>
                      <td class="nowrap">{when(d.receivedAt)}</td>
                      <td>{channelOf(d.message)}</td>
                      <td class="num">{d.attempts}</td>
                      <td class="detail">
                        <details>
                          <summary class="muted">{d.queue}</summary>
                          <pre class="json">{JSON.stringify(d.message, null, 2)}</pre>
                        </details>
                      </td>
                      <td class="detail">
                        {d.replayable ? (
                          <form method="post" action={`${base}/${encodeURIComponent(d.id)}/replay`} class="inline" data-testid="replay-form">
                            <input type="hidden" name="_csrf" value={props.csrf} />
                            {data.cursor ? <input type="hidden" name="cursor" value={data.cursor} /> : null}
                            <button type="submit" disabled={!props.canReplay}>
                              Replay
                            </button>
                          </form>
                        ) : d.replayedAt ? (
                          <span data-testid="replayed">replayed {when(d.replayedAt)}</span>
                        ) : (
                          <span class="muted">{d.reason}</span>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {props.canReplay ? null : <p class="muted">This key is read-only.</p>}
          <div class="pager">
            {data.cursor ? <a href={base}>First page</a> : null}
            {data.nextCursor ? (
              <a href={withQuery(base, { cursor: data.nextCursor })} data-testid="next">
                Next page
              </a>
            ) : null}
          </div>
        </section>
      </div>
    </Layout>
  );
}
