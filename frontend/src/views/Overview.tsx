import { useAgents, useApprovals, useStatus, useTasks } from "../api/queries";
import { Chart } from "../components/Chart";
import { Card, CardContent, CardHeader, CardTitle } from "../components/ui/card";
import { useSamples } from "../lib/metrics";
import { href } from "../lib/router";
import { duration } from "../lib/utils";

function Counter({ label, value, to }: { label: string; value: number | string; to?: string }) {
  const body = (
    <>
      <span className="text-xs text-muted-foreground">{label}</span>
      <span className="text-2xl font-semibold tabular-nums">{value}</span>
    </>
  );
  const cls = "flex flex-col gap-1 rounded-lg border border-border p-3";
  return to ? (
    <a href={to} className={`${cls} hover:border-primary/50 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring`}>
      {body}
    </a>
  ) : (
    <div className={cls}>{body}</div>
  );
}

export function OverviewView() {
  const status = useStatus();
  const agents = useAgents();
  const tasks = useTasks();
  const approvals = useApprovals();
  const samples = useSamples();
  const s = status.data;
  const pending = tasks.data?.filter((t) => t.status === "pending").length;
  const running = tasks.data?.filter((t) => t.status === "in_progress" || t.status === "assigned").length;
  const waiting = approvals.data?.filter((a) => a.status === "pending").length;
  const online = agents.data?.filter((a) => a.status === "online" || a.status === "busy").length ?? s?.online_agents;
  return (
    <div className="flex flex-col gap-4">
      <div className="grid grid-cols-2 gap-3 sm:grid-cols-4 xl:grid-cols-8">
        <Counter label="Agents online" value={online ?? "–"} to={href("agents")} />
        <Counter label="Agents" value={s?.agents ?? "–"} to={href("agents")} />
        <Counter label="Channels" value={s?.channels ?? "–"} to={href("channels")} />
        <Counter label="Messages" value={s?.messages ?? "–"} to={href("channels")} />
        <Counter label="Pending tasks" value={pending ?? "n/a"} to={href("tasks")} />
        <Counter label="Running tasks" value={running ?? "n/a"} to={href("tasks")} />
        <Counter label="Approvals waiting" value={waiting ?? "n/a"} to={href("approvals")} />
        <Counter label="Uptime" value={s ? duration(Math.round(s.uptime_seconds)) : "–"} />
      </div>
      <Card>
        <CardHeader>
          <CardTitle>Since this page opened</CardTitle>
        </CardHeader>
        <CardContent className="grid gap-4 md:grid-cols-3">
          <Chart label="Messages per second" values={samples.map((x) => x.messages)} />
          <Chart
            label="Queue depth (pending tasks)"
            values={samples.map((x) => x.queue)}
            missing={tasks.isError ? "no tasks on this hub" : undefined}
          />
          <Chart label="Active agents" values={samples.map((x) => x.agents)} />
        </CardContent>
      </Card>
    </div>
  );
}
