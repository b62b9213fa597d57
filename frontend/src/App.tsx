import { useQueryClient } from "@tanstack/react-query";
import {
  Activity,
  AlertTriangle,
  Bot,
  Brain,
  ClipboardCheck,
  KanbanSquare,
  Lock,
  LogOut,
  MessagesSquare,
  ScrollText,
} from "lucide-react";
import { type FormEvent, useState } from "react";

import { ApiError } from "./api/client";
import { useStatus } from "./api/queries";
import { ErrorState, Loading } from "./components/states";
import { Button } from "./components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "./components/ui/card";
import { Input, Label } from "./components/ui/input";
import { clearToken, getToken, goWithoutToken, isOpenHub, setToken } from "./lib/auth";
import { LiveProvider, useLive } from "./lib/live";
import { useMetricsRecorder } from "./lib/metrics";
import { href, useRoute } from "./lib/router";
import { cn } from "./lib/utils";
import { AgentsView } from "./views/Agents";
import { ApprovalsView } from "./views/Approvals";
import { AuditView } from "./views/Audit";
import { ChannelsView } from "./views/Channels";
import { LocksView } from "./views/Locks";
import { MemoryView } from "./views/Memory";
import { OverviewView } from "./views/Overview";
import { TasksView } from "./views/Tasks";

const VIEWS = [
  { id: "overview", label: "Overview", icon: Activity, Component: OverviewView },
  { id: "agents", label: "Agents", icon: Bot, Component: AgentsView },
  { id: "channels", label: "Channels", icon: MessagesSquare, Component: ChannelsView },
  { id: "tasks", label: "Tasks", icon: KanbanSquare, Component: TasksView },
  { id: "memory", label: "Memory", icon: Brain, Component: MemoryView },
  { id: "locks", label: "Locks", icon: Lock, Component: LocksView },
  { id: "approvals", label: "Approvals", icon: ClipboardCheck, Component: ApprovalsView },
  { id: "audit", label: "Audit", icon: ScrollText, Component: AuditView },
] as const;

export function App() {
  const [, rerender] = useState(0);
  if (!getToken() && !isOpenHub()) return <Login onSignedIn={() => rerender((n) => n + 1)} />;
  return <Connected />;
}

function Connected() {
  const status = useStatus();
  if (status.isPending) return <Loading rows={4} label="Connecting to the hub" />;
  if (status.isError) {
    if (status.error instanceof ApiError && status.error.status === 401) {
      return <Login rejected onSignedIn={() => void status.refetch()} />;
    }
    return (
      <div className="mx-auto max-w-lg p-6">
        <ErrorState error={status.error} onRetry={() => void status.refetch()} />
      </div>
    );
  }
  return (
    <LiveProvider>
      <Shell version={status.data.version} />
    </LiveProvider>
  );
}

function Login({ rejected = false, onSignedIn }: { rejected?: boolean; onSignedIn: () => void }) {
  const client = useQueryClient();
  const [value, setValue] = useState("");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!value.trim()) return;
    setToken(value);
    void client.resetQueries();
    onSignedIn();
  };
  const withoutToken = () => {
    goWithoutToken();
    void client.resetQueries();
    onSignedIn();
  };
  return (
    <div className="flex min-h-full items-center justify-center p-4">
      <Card className="w-full max-w-md">
        <CardHeader>
          <CardTitle>Sign in to agenthub</CardTitle>
          <CardDescription>
            Open the address that <code>agenthub serve</code> prints (it carries the token), or paste the hub token
            from <code>~/.agenthub/token</code>.
          </CardDescription>
        </CardHeader>
        <CardContent>
          <form onSubmit={submit} className="flex flex-col gap-3">
            <Label htmlFor="token">Hub token</Label>
            <Input id="token" type="password" autoComplete="off" value={value} onChange={(e) => setValue(e.target.value)} autoFocus />
            {rejected && (
              <p role="alert" className="text-sm text-destructive">
                The hub did not accept that token. Check it and try again.
              </p>
            )}
            <Button type="submit">Sign in</Button>
            <Button type="button" variant="link" onClick={withoutToken}>
              Continue without a token (a hub started with --open)
            </Button>
          </form>
        </CardContent>
      </Card>
    </div>
  );
}

function LiveBadge() {
  const { state } = useLive();
  const text = { live: "Live", connecting: "Connecting…", offline: "Reconnecting…" }[state];
  return (
    <span className="inline-flex items-center gap-1.5 text-xs text-muted-foreground" role="status" data-live={state}>
      <span
        className={cn(
          "size-2 rounded-full",
          state === "live" ? "bg-green-600" : state === "connecting" ? "bg-amber-500" : "bg-red-600",
        )}
        aria-hidden
      />
      {text}
    </span>
  );
}

const STORAGE_PROBLEMS: Record<string, string> = {
  storage_lost:
    "The hub's database file was removed or replaced while the hub was running: nothing sent to the hub is kept any more. What it held can still be read here. Restart the hub.",
};

/** Shown while the hub reports anything but "ok" (`/api/status`): it cannot keep what it is sent. */
function HubProblem() {
  const status = useStatus().data?.status;
  if (!status || status === "ok") return null;
  return (
    <div role="alert" data-testid="hub-problem" className="mb-4 flex items-start gap-2 rounded-lg border border-red-200 bg-red-50 p-3 text-sm text-red-900">
      <AlertTriangle className="mt-0.5 size-4 shrink-0" aria-hidden />
      <p>
        <span className="font-medium">The hub cannot store anything now ({status}).</span>{" "}
        {STORAGE_PROBLEMS[status] ?? "Its log says why."}
      </p>
    </div>
  );
}

function Shell({ version }: { version: string }) {
  const route = useRoute();
  const client = useQueryClient();
  useMetricsRecorder();
  const current = VIEWS.find((v) => v.id === route.view) ?? VIEWS[0];
  const View = current.Component;
  const signOut = () => {
    clearToken();
    client.clear();
    window.location.reload();
  };
  return (
    <div className="flex min-h-full flex-col md:flex-row">
      <aside className="border-b border-border bg-muted/60 md:w-52 md:shrink-0 md:border-b-0 md:border-r">
        <div className="flex items-center justify-between gap-2 px-4 py-3">
          <a href={href("overview")} className="font-semibold tracking-tight">
            agenthub <span className="text-xs font-normal text-muted-foreground">{version}</span>
          </a>
          <span className="flex items-center gap-1">
            <LiveBadge />
            <Button variant="ghost" size="icon" className="md:hidden" onClick={signOut} aria-label="Sign out">
              <LogOut aria-hidden />
            </Button>
          </span>
        </div>
        <nav aria-label="Views" className="flex gap-1 overflow-x-auto px-2 pb-2 md:flex-col md:overflow-visible">
          {VIEWS.map(({ id, label, icon: Icon }) => (
            <a
              key={id}
              href={href(id)}
              aria-current={current.id === id ? "page" : undefined}
              className={cn(
                "flex items-center gap-2 rounded-md px-3 py-1.5 text-sm whitespace-nowrap hover:bg-background focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring",
                current.id === id && "bg-background font-medium shadow-sm",
              )}
            >
              <Icon className="size-4" aria-hidden />
              {label}
            </a>
          ))}
        </nav>
        <div className="hidden px-4 py-3 md:block">
          <Button variant="ghost" size="sm" onClick={signOut}>
            <LogOut aria-hidden /> Sign out
          </Button>
        </div>
      </aside>
      <main className="min-w-0 flex-1 p-4 md:p-6" id="main">
        <HubProblem />
        <h1 className="mb-4 text-xl font-semibold">{current.label}</h1>
        <View rest={route.rest} />
      </main>
    </div>
  );
}
