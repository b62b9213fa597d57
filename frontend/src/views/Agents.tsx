import { useState } from "react";

import { ApiError } from "../api/client";
import { useAgents, useHungAgents, useTasks } from "../api/queries";
import type { Agent } from "../api/types";
import { EmptyState, QueryView } from "../components/states";
import { Badge, type BadgeProps } from "../components/ui/badge";
import { Card, CardContent, CardHeader, CardTitle } from "../components/ui/card";
import { Table, TBody, Td, Th, THead } from "../components/ui/table";
import { useLiveEvents } from "../lib/live";
import { ago, time } from "../lib/utils";

export type Presence = "online" | "offline" | "busy" | "hung" | "error";

const PRESENCE: Record<Presence, BadgeProps["variant"]> = {
  online: "success",
  busy: "info",
  offline: "secondary",
  hung: "warning",
  error: "destructive",
};

export function PresenceBadge({ presence }: { presence: Presence }) {
  return (
    <Badge variant={PRESENCE[presence]} data-presence={presence}>
      {presence}
    </Badge>
  );
}

const ACTIVE = new Set(["assigned", "in_progress"]);

interface Seen {
  at: string;
  kind: "joined" | "left";
  name: string;
}

export function AgentsView() {
  const agents = useAgents();
  const hung = useHungAgents();
  const tasks = useTasks();
  const [events, setEvents] = useState<Seen[]>([]);
  useLiveEvents((frame) => {
    if (frame.type !== "agent:joined" && frame.type !== "agent:left") return;
    const agent = frame.data as Agent;
    const seen: Seen = { at: new Date().toISOString(), kind: frame.type === "agent:joined" ? "joined" : "left", name: agent.name };
    setEvents((old) => [seen, ...old].slice(0, 8));
  });
  const activeTasks = new Map<string, number>();
  for (const task of tasks.data ?? []) {
    if (task.assignee_id && ACTIVE.has(task.status)) activeTasks.set(task.assignee_id, (activeTasks.get(task.assignee_id) ?? 0) + 1);
  }
  const tasksKnown = tasks.isSuccess;
  const tasksMissing = tasks.error instanceof ApiError && tasks.error.unavailable;
  return (
    <div className="flex flex-col gap-4">
      <QueryView
        query={agents}
        feature="Agents"
        empty={
          <EmptyState title="No agents have registered yet">
            Agents appear here when they register with the hub token, e.g. <code>agenthub</code> SDK&apos;s{" "}
            <code>register(&quot;worker-1&quot;)</code> or <code>POST /api/agents/register</code>.
          </EmptyState>
        }
      >
        {(list) => (
          <Card>
            <Table aria-label="Agents">
              <THead>
                <tr>
                  <Th>Agent</Th>
                  <Th>Presence</Th>
                  <Th className="hidden sm:table-cell">Capabilities</Th>
                  <Th>Last seen</Th>
                  <Th className="text-right">Active tasks</Th>
                </tr>
              </THead>
              <TBody>
                {[...list]
                  .sort((a, b) => Number(b.status !== "offline") - Number(a.status !== "offline") || a.name.localeCompare(b.name))
                  .map((agent) => {
                    const presence: Presence = hung.data?.has(agent.id) ? "hung" : agent.status;
                    return (
                      <tr key={agent.id} data-testid="agent-row" data-agent={agent.name}>
                        <Td>
                          <div className="font-medium">{agent.name}</div>
                          <div className="text-xs text-muted-foreground">{agent.type}</div>
                        </Td>
                        <Td>
                          <PresenceBadge presence={presence} />
                        </Td>
                        <Td className="hidden sm:table-cell">
                          <div className="flex flex-wrap gap-1">
                            {agent.capabilities.length === 0 ? (
                              <span className="text-xs text-muted-foreground">none</span>
                            ) : (
                              agent.capabilities.map((c) => (
                                <Badge key={c} variant="outline">
                                  {c}
                                </Badge>
                              ))
                            )}
                          </div>
                        </Td>
                        <Td className="whitespace-nowrap text-muted-foreground">{ago(agent.last_seen)}</Td>
                        <Td className="text-right tabular-nums">
                          {tasksKnown ? (activeTasks.get(agent.id) ?? 0) : tasksMissing ? "n/a" : "…"}
                        </Td>
                      </tr>
                    );
                  })}
              </TBody>
            </Table>
          </Card>
        )}
      </QueryView>
      <Card>
        <CardHeader>
          <CardTitle>Joined and left, live</CardTitle>
        </CardHeader>
        <CardContent>
          {events.length === 0 ? (
            <p className="text-sm text-muted-foreground">Nothing yet: agents connecting or going offline show up here as it happens.</p>
          ) : (
            <ul className="flex flex-col gap-1 text-sm" aria-live="polite">
              {events.map((e, i) => (
                <li key={`${e.at}-${i}`}>
                  <span className="text-muted-foreground">{time(e.at)}</span> <strong>{e.name}</strong> {e.kind}
                </li>
              ))}
            </ul>
          )}
        </CardContent>
      </Card>
    </div>
  );
}
