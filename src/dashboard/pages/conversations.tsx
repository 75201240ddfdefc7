import type { ConversationPage, ConversationQuery, Transcript } from "../../admin/conversations";
import { CHANNELS } from "../../channels/analytics";
import type { Principal } from "../../http/context";
import { Layout } from "../layout";
import { withQuery } from "./audit";
import { channelsPath, SpanForm, usd } from "./channels";

/** The conversation listing of an agent, and one conversation's transcript. */
export const conversationsPath = (agentId: string) => `/dashboard/agents/${encodeURIComponent(agentId)}/conversations`;
export const transcriptPath = (agentId: string, conversationId: string) => `${conversationsPath(agentId)}/${conversationId}`;

const tiersText = (tiers: Record<string, number | undefined>) =>
  Object.entries(tiers)
    .map(([t, n]) => `${t} ${n}`)
    .join(", ");

/**
 * An agent's conversations with activity in the span, newest first, 50 a page: channel, first
 * and last activity, customer messages answered, the tiers that answered them, and cost.
 */
export function ConversationsPage(props: { principal: Principal; csrf: string; page: ConversationPage; query: ConversationQuery }) {
  const { page, query } = props;
  const agentId = page.agentId;
  const filters = { channel: query.channel, from: query.from, to: query.to, limit: query.limit };
  return (
    <Layout title={`${agentId} conversations`} principal={props.principal} csrf={props.csrf}>
      <h1>
        {agentId} conversations{" "}
        <span class="muted">
          {page.from.slice(0, 10)} to {page.to.slice(0, 10)}
        </span>
      </h1>
      <p>
        <a href={`/dashboard/agents/${encodeURIComponent(agentId)}`}>Overview</a> ·{" "}
        <a href={withQuery(channelsPath(agentId), { from: query.from, to: query.to })}>Channels</a>
      </p>
      <div class="grid">
        <section class="card wide">
          <SpanForm action={conversationsPath(agentId)} from={query.from} to={query.to}>
            <label>
              Channel
              <select name="channel">
                <option value="">any</option>
                {CHANNELS.map((ch) => (
                  <option value={ch} selected={query.channel === ch}>
                    {ch}
                  </option>
                ))}
              </select>
            </label>
          </SpanForm>
        </section>
        <section class="card wide table-wrap">
          {page.conversations.length === 0 ? (
            <p class="muted" data-testid="no-conversations">
              No conversations in this span.
            </p>
          ) : (
            <table data-testid="conversations">
              <thead>
                <tr>
                  <th>Last activity (UTC)</th>
                  <th>Channel</th>
                  <th class="num">Messages</th>
                  <th>Tiers</th>
                  <th class="num">Cost</th>
                  <th>Conversation</th>
                </tr>
              </thead>
              <tbody>
                {page.conversations.map((c) => (
                  <tr data-conversation={c.id} data-channel={c.channel} data-messages={String(c.messages)} data-cost-usd={String(c.costUsd)} data-last-at={c.lastAt}>
                    <td class="nowrap">{c.lastAt.replace("T", " ").slice(0, 19)}</td>
                    <td>{c.channel}</td>
                    <td class="num">{c.messages}</td>
                    <td>{tiersText(c.tiers)}</td>
                    <td class="num">{usd(c.costUsd)}</td>
                    <td class="nowrap">
                      {c.turnsKept ? <a href={transcriptPath(agentId, c.id)}>{c.id.slice(0, 12)}…</a> : <span class="muted">{c.id.slice(0, 12)}… (no turns kept)</span>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <p class="pager">
            {query.cursor ? (
              <a href={withQuery(conversationsPath(agentId), filters)} data-testid="newest">
                Newest
              </a>
            ) : null}
            {page.nextCursor ? (
              <a href={withQuery(conversationsPath(agentId), { ...filters, cursor: page.nextCursor })} data-testid="older" data-cursor={page.nextCursor}>
                Older conversations
              </a>
            ) : null}
          </p>
        </section>
      </div>
    </Layout>
  );
}

/** One conversation's turns, PII masked, each answer with its tier, outcome and cost. */
export function TranscriptPage(props: { principal: Principal; csrf: string; transcript: Transcript }) {
  const t = props.transcript;
  return (
    <Layout title={`${t.agentId} conversation`} principal={props.principal} csrf={props.csrf}>
      <h1>
        Conversation <span class="muted">{t.conversationId}</span>
      </h1>
      <p>
        <a href={conversationsPath(t.agentId)}>All conversations</a> · {t.channel} · {t.firstAt.replace("T", " ").slice(0, 19)} to{" "}
        {t.lastAt.replace("T", " ").slice(0, 19)} UTC
      </p>
      <p class="muted">Personal data (e-mail addresses, phone numbers, card numbers, names, …) is masked.</p>
      <ol class="transcript" data-testid="transcript">
        {t.turns.map((turn) => (
          <li class={`turn ${turn.role}`} data-role={turn.role} data-interaction={turn.interactionId ?? undefined}>
            <div class="muted">
              {turn.role === "customer" ? "Customer" : "Agent"} · {turn.at.replace("T", " ").slice(0, 19)}
              {turn.tier ? ` · ${turn.tier}` : ""}
              {turn.outcome ? ` · ${turn.outcome}` : ""}
              {turn.costUsd !== null ? ` · ${usd(turn.costUsd)}` : ""}
            </div>
            <div class="text">{turn.text}</div>
          </li>
        ))}
      </ol>
    </Layout>
  );
}
