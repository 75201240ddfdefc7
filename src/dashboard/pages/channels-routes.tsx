import { Hono } from "hono";
import { channelReport } from "../../admin/channels";
import { DEFAULT_ANALYTICS_SPAN_MS, parseAgentId, requireAgent, timeRange } from "../../admin/common";
import { conversationQuery, listConversations, loadTranscript } from "../../admin/conversations";
import { authorize, type DashboardEnv, requireSession } from "../context";
import { ChannelsPage } from "./channels";
import { ConversationsPage, TranscriptPage } from "./conversations";
import { agentDb } from "../../db/shards";

/**
 * One agent's channels page, its conversations and each conversation's transcript. Each reads
 * through the function of the admin JSON route it stands for, under that route's access rule;
 * none changes anything. Mounted by `routes.tsx`, behind the session.
 */
export const channelPageRoutes = new Hono<DashboardEnv>()
  .get("/agents/:agentId/channels", async (c) => {
    const session = requireSession(c);
    authorize(session.principal, "GET", `/v1/agents/${parseAgentId(c.req.param("agentId"))}/channels/analytics`);
    const { agentId } = await requireAgent(c);
    const { from, to } = timeRange(c, DEFAULT_ANALYTICS_SPAN_MS);
    const report = await channelReport(await agentDb(c.env, agentId), agentId, from, to);
    const query = { from: c.req.query("from") || undefined, to: c.req.query("to") || undefined };
    return c.html(<ChannelsPage principal={session.principal} csrf={session.csrf} report={report} query={query} />);
  })
  .get("/agents/:agentId/conversations", async (c) => {
    const session = requireSession(c);
    authorize(session.principal, "GET", `/v1/agents/${parseAgentId(c.req.param("agentId"))}/conversations`);
    const { agentId } = await requireAgent(c);
    const query = conversationQuery(c);
    const page = await listConversations(c.env, agentId, query, c.var.clock.now());
    return c.html(<ConversationsPage principal={session.principal} csrf={session.csrf} page={page} query={query} />);
  })
  .get("/agents/:agentId/conversations/:conversationId", async (c) => {
    const session = requireSession(c);
    const conversationId = c.req.param("conversationId");
    authorize(session.principal, "GET", `/v1/agents/${parseAgentId(c.req.param("agentId"))}/conversations/${encodeURIComponent(conversationId)}`);
    const { agentId } = await requireAgent(c);
    const transcript = await loadTranscript(c.env, agentId, conversationId);
    c.var.services.logger.info("conversation_read", { agentId, conversationId: transcript.conversationId, keyId: session.principal.keyId });
    return c.html(<TranscriptPage principal={session.principal} csrf={session.csrf} transcript={transcript} />);
  });
