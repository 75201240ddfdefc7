/** The claim under which a posted answer remembers its interaction, so a reaction to it is feedback. */
export function slackMessageKey(channelId: string, ts: string): string {
  return `slack-msg:${channelId}:${ts}`;
}
