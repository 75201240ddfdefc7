import type { AgentRecord } from "../core/agent";
import type { AuditSink } from "../core/audit";
import type { UnusualFinding } from "../audit/unusual";
import type { UrgentFlag } from "./message-desk";

/** `urgent_message` alerts an agent raises in an hour at most, however many threads sound urgent. */
export const URGENT_ALERTS_PER_HOUR = 10;

/**
 * The agent object's part that decides which alerts are fresh: one `urgent_message` per
 * conversation per hour (at most `URGENT_ALERTS_PER_HOUR` in all), one `unusual_activity` per
 * hour however often the cron reports it.
 * Owns the tables `urgent_alerts` and `unusual_hours`; runs inside the object's transaction.
 */
export class AlertBooks {
  #sql: SqlStorage;
  #auditor: AuditSink;

  constructor(sql: SqlStorage, auditor: AuditSink) {
    this.#sql = sql;
    this.#auditor = auditor;
    sql.exec("CREATE TABLE IF NOT EXISTS urgent_alerts (conversation TEXT NOT NULL, hour INTEGER NOT NULL, PRIMARY KEY (conversation, hour))");
    sql.exec("CREATE TABLE IF NOT EXISTS unusual_hours (hour INTEGER PRIMARY KEY)");
  }

  /**
   * A message that read as urgent: audited (`message.urgent`), and alerted (`urgent_message`)
   * when it reaches `messageHandling.urgencyAlert`, once per conversation per hour. True when
   * an alert was raised.
   */
  flagUrgent(record: AgentRecord, flag: UrgentFlag, now: number): boolean {
    const { interactionId, channel, conversation, urgency, cues } = flag;
    this.#auditor.event(record, {
      at: now,
      actor: `customer:${channel}`,
      action: "message.urgent",
      resource: interactionId,
      decision: "recorded",
      details: { urgency, cues, conversation },
    });
    const threshold = record.config.messageHandling.urgencyAlert;
    if (threshold === "off" || (threshold === "critical" && urgency !== "critical") || urgency === "normal") return false;
    const hour = Math.floor(now / 3_600_000);
    this.#sql.exec("DELETE FROM urgent_alerts WHERE hour < ?", hour - 24);
    const alerted = this.#sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM urgent_alerts WHERE hour = ?", hour).one().n;
    // A flood of urgent-sounding threads raises a bounded number of alerts; each is still audited.
    if (alerted >= URGENT_ALERTS_PER_HOUR) return false;
    const fresh = this.#sql.exec("INSERT OR IGNORE INTO urgent_alerts (conversation, hour) VALUES (?, ?)", conversation, hour).rowsWritten > 0;
    if (!fresh) return false;
    const last = alerted + 1 === URGENT_ALERTS_PER_HOUR ? ` This is the ${URGENT_ALERTS_PER_HOUR}th urgent alert this hour: further urgent messages this hour are only in the audit trail (message.urgent).` : "";
    this.#auditor.alert(record, {
      at: now,
      type: "urgent_message",
      message: `A ${urgency} message came in by ${channel} (${cues.join(", ") || "no cue named"}): a person should look at it.${last}`,
      details: { interactionId, channel, conversation, urgency, cues },
    });
    return true;
  }

  /** Unusual activity found in an hour: alerted once for that hour. True when raised. */
  raiseUnusual(record: AgentRecord, input: { hour: number; findings: UnusualFinding[]; now: number }): boolean {
    this.#sql.exec("DELETE FROM unusual_hours WHERE hour < ?", input.hour - 48 * 3_600_000);
    const fresh = this.#sql.exec("INSERT OR IGNORE INTO unusual_hours (hour) VALUES (?)", input.hour).rowsWritten > 0;
    if (!fresh) return false;
    this.#auditor.alert(record, {
      at: input.now,
      type: "unusual_activity",
      message: input.findings.map((f) => f.message).join(" "),
      details: { hour: new Date(input.hour).toISOString(), findings: input.findings },
    });
    return true;
  }
}
