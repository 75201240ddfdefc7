import type { Principal } from "../../http/context";
import { Layout } from "../layout";
import { AgentActions, NewAgentLink } from "./agent-edit";

export interface AgentRow {
  agentId: string;
  name: string | null;
  model: string;
  version: number;
  updatedAt: string;
}

/** The agents the key may see, each linking to its overview. */
export function AgentsPage(props: { principal: Principal; csrf: string; agents: AgentRow[]; nextCursor: string | null }) {
  return (
    <Layout title="Agents" principal={props.principal} csrf={props.csrf}>
      <h1>Agents</h1>
      <p>
        <NewAgentLink principal={props.principal} />
      </p>
      <div class="card table-wrap">
        {props.agents.length === 0 ? (
          <p class="muted">No agents yet.</p>
        ) : (
          <table data-testid="agents">
            <thead>
              <tr>
                <th>Agent</th>
                <th>Name</th>
                <th>Model</th>
                <th class="num">Version</th>
                <th>Updated</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              {props.agents.map((a) => (
                <tr>
                  <td>
                    <a href={`/dashboard/agents/${encodeURIComponent(a.agentId)}`}>{a.agentId}</a>
                  </td>
                  <td>{a.name ?? ""}</td>
                  <td>{a.model}</td>
                  <td class="num">{a.version}</td>
                  <td>{a.updatedAt.slice(0, 16).replace("T", " ")}</td>
                  <td>
                    <AgentActions principal={props.principal} agentId={a.agentId} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {props.nextCursor ? (
          <p>
            <a href={`/dashboard/agents?cursor=${encodeURIComponent(props.nextCursor)}`}>More agents</a>
          </p>
        ) : null}
      </div>
    </Layout>
  );
}
