import { type DeliveryAdapter, HOLDING_TEXT } from "../adapter";
import { requireSecret } from "../secrets";
import { slackApi } from "./api";
import { slackMessage, splitForSlack, toMrkdwn } from "./format";
import { slackMessageKey } from "./keys";

/** Shown in Slack while the answer is being worked on (`progress_tracking`). */
export const PROGRESS_TEXT = ":hourglass_flowing_sand: Working on it…";

/**
 * Posts a queued answer to Slack: a progress placeholder first when `progress_tracking` is on
 * (updated per tool step, then replaced; one per delivery, reused by the queue's retries), the
 * answer in mrkdwn split at Slack's limits, in the thread, each posted message linked to its
 * interaction for reactions. The holding notice of a model outage replaces the placeholder's
 * text, or is posted in the thread when there is none.
 */
export const slackDelivery: DeliveryAdapter<"slack"> = {
  kind: "slack",
  deliverySecrets: [{ name: "slack", field: "botToken" }],
  async deliver({ work, view, secrets, env, answer, immediate, memo }) {
    const api = slackApi(env.SLACK_API_URL, requireSecret(secrets[0], "slack.botToken"));
    const features = view.record.config.channels.find((c) => c.type === "slack")?.features ?? [];
    const thread = work.reply.threadTs ?? undefined;

    let placeholder = immediate ? undefined : memo.progress;
    if (!placeholder && features.includes("progress_tracking") && !immediate) {
      const posted = await api.postMessage({ channel: work.reply.channelId, text: PROGRESS_TEXT, ...(thread ? { thread_ts: thread } : {}) });
      placeholder = { channel: posted.channel, ts: posted.ts };
      memo.progress = placeholder;
    }
    const onStep = placeholder
      ? async (step: number, tools: string[]) => {
          if (tools.length === 0) return;
          await api
            .update({ channel: placeholder.channel, ts: placeholder.ts, text: `${PROGRESS_TEXT} (step ${step}: ${tools.join(", ")})` })
            .catch(() => {}); // Progress is a courtesy; the answer must not fail on it.
        }
      : undefined;

    const answered = await answer(onStep ? { onStep } : {});
    const chunks = splitForSlack(toMrkdwn(answered.text));
    const links: Array<{ key: string; interactionId: string }> = [];
    for (const [i, chunk] of chunks.entries()) {
      const posted =
        i === 0 && placeholder
          ? await api.update({ channel: placeholder.channel, ts: placeholder.ts, ...slackMessage(chunk) })
          : await api.postMessage({ channel: work.reply.channelId, ...slackMessage(chunk), ...(thread ? { thread_ts: thread } : {}) });
      links.push({ key: slackMessageKey(posted.channel, posted.ts), interactionId: answered.interactionId });
    }
    return { interactionId: answered.interactionId, parts: chunks.length, links };
  },
  async hold({ work, secrets, env, memo }) {
    const api = slackApi(env.SLACK_API_URL, requireSecret(secrets[0], "slack.botToken"));
    const text = `:hourglass_flowing_sand: ${HOLDING_TEXT}`;
    if (memo.progress) {
      await api.update({ channel: memo.progress.channel, ts: memo.progress.ts, text });
      return;
    }
    const thread = work.reply.threadTs ?? undefined;
    await api.postMessage({ channel: work.reply.channelId, text, ...(thread ? { thread_ts: thread } : {}) });
  },
};
