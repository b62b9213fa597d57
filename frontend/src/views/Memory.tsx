import { useQuery } from "@tanstack/react-query";
import { Search } from "lucide-react";
import { type FormEvent, useState } from "react";

import { api, unwrap } from "../api/client";
import { useAgentNames, useHas, useMemory } from "../api/queries";
import type { Memory, MemoryVersion } from "../api/types";
import { EmptyState, ErrorState, Loading, QueryView } from "../components/states";
import { Badge } from "../components/ui/badge";
import { Button } from "../components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "../components/ui/card";
import { Input, Label, Select } from "../components/ui/input";
import { diffLines } from "../lib/diff";
import { href } from "../lib/router";
import { ago, cn, dateTime, pretty } from "../lib/utils";

export function MemoryView({ rest }: { rest: string }) {
  const [draft, setDraft] = useState("");
  const [prefix, setPrefix] = useState("");
  const memory = useMemory(prefix);
  const selected = rest || null;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setPrefix(draft.trim());
  };
  return (
    <div className="grid gap-4 lg:grid-cols-[18rem_minmax(0,1fr)]">
      <div className="flex flex-col gap-3">
        <form onSubmit={submit} className="flex gap-2" role="search">
          <Input aria-label="Key prefix" placeholder="key prefix, e.g. plan/" value={draft} onChange={(e) => setDraft(e.target.value)} />
          <Button type="submit" variant="outline" size="icon" aria-label="Filter by prefix">
            <Search />
          </Button>
        </form>
        <QueryView
          query={memory}
          feature="Memory"
          empty={
            <EmptyState title={prefix ? `No keys start with “${prefix}”` : "No shared memory yet"}>
              Agents write keys with <code>PUT /api/memory/key/&lt;key&gt;</code>; each write makes a new version.
            </EmptyState>
          }
        >
          {(list) => (
            <nav aria-label="Keys" className="flex flex-col gap-0.5">
              {[...list]
                .sort((a, b) => a.key.localeCompare(b.key))
                .map((m) => (
                  <a
                    key={m.id}
                    href={href("memory", m.key)}
                    aria-current={selected === m.key ? "page" : undefined}
                    className={cn(
                      "flex items-center justify-between gap-2 rounded-md px-2 py-1.5 text-sm hover:bg-muted focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring",
                      selected === m.key && "bg-muted font-medium",
                    )}
                  >
                    <span className="truncate font-mono text-xs">{m.key}</span>
                    <Badge variant="outline">v{m.version}</Badge>
                  </a>
                ))}
            </nav>
          )}
        </QueryView>
      </div>
      <div className="min-w-0">
        {selected ? (
          <KeyDetail memoryKey={selected} current={memory.data?.find((m) => m.key === selected)} />
        ) : (
          <EmptyState title="Pick a key">Choose a key to see its current value and how it changed, version by version.</EmptyState>
        )}
      </div>
    </div>
  );
}

function KeyDetail({ memoryKey, current }: { memoryKey: string; current: Memory | undefined }) {
  const name = useAgentNames();
  const history = useQuery({
    queryKey: ["memory", "history", memoryKey, current?.version],
    enabled: useHas("/api/memory/history/{key}") === true,
    queryFn: () => unwrap<MemoryVersion[]>(api.GET("/api/memory/history/{key}", { params: { path: { key: memoryKey } } })),
  });
  const versions = history.data ?? [];
  const [picked, setPicked] = useState<{ key: string; from: number | null; to: number | null }>({ key: memoryKey, from: null, to: null });
  const mine = picked.key === memoryKey ? picked : { key: memoryKey, from: null, to: null };
  const last = versions.at(-1)?.version ?? null;
  const from = mine.from ?? versions.at(-2)?.version ?? last;
  const to = mine.to ?? last;
  const setFrom = (value: number) => setPicked({ ...mine, from: value });
  const setTo = (value: number) => setPicked({ ...mine, to: value });
  const a = versions.find((v) => v.version === from);
  const b = versions.find((v) => v.version === to);
  return (
    <div className="flex flex-col gap-4">
      <Card>
        <CardHeader>
          <CardTitle className="font-mono">{memoryKey}</CardTitle>
          {current && (
            <p className="text-xs text-muted-foreground">
              version {current.version} · written by {name(current.updated_by)} {ago(current.updated_at)}
              {current.expires_at && ` · expires ${ago(current.expires_at)}`}
            </p>
          )}
        </CardHeader>
        <CardContent>
          {current ? (
            <pre className="max-h-72 overflow-auto rounded bg-muted p-3 text-xs" data-testid="memory-value">
              {pretty(current.value)}
            </pre>
          ) : (
            <p className="text-sm text-muted-foreground">This key has no current value (deleted or expired).</p>
          )}
        </CardContent>
      </Card>
      <Card>
        <CardHeader>
          <CardTitle>History</CardTitle>
        </CardHeader>
        <CardContent className="flex flex-col gap-3">
          {history.isPending ? (
            <Loading rows={2} />
          ) : history.isError ? (
            <ErrorState error={history.error} onRetry={() => void history.refetch()} />
          ) : versions.length === 0 ? (
            <p className="text-sm text-muted-foreground">No history recorded for this key.</p>
          ) : (
            <>
              <ol className="flex flex-col gap-1 text-sm">
                {[...versions].reverse().map((v) => (
                  <li key={`${v.version}-${v.change ?? ""}`} className="flex flex-wrap gap-2">
                    <Badge variant="outline">v{v.version}</Badge>
                    <span>{v.change ?? "set"}</span>
                    <span className="text-muted-foreground">
                      by {name(v.actor_id)} {v.at ? dateTime(v.at) : ""}
                    </span>
                  </li>
                ))}
              </ol>
              {versions.length > 1 && (
                <div className="flex flex-col gap-2">
                  <div className="flex flex-wrap items-end gap-2">
                    <div className="flex flex-col gap-1">
                      <Label htmlFor="diff-from">Compare</Label>
                      <Select id="diff-from" value={from ?? ""} onChange={(e) => setFrom(Number(e.target.value))}>
                        {versions.map((v) => (
                          <option key={v.version} value={v.version}>
                            v{v.version}
                          </option>
                        ))}
                      </Select>
                    </div>
                    <div className="flex flex-col gap-1">
                      <Label htmlFor="diff-to">with</Label>
                      <Select id="diff-to" value={to ?? ""} onChange={(e) => setTo(Number(e.target.value))}>
                        {versions.map((v) => (
                          <option key={v.version} value={v.version}>
                            v{v.version}
                          </option>
                        ))}
                      </Select>
                    </div>
                  </div>
                  <Diff before={a ? pretty(a.value ?? null) : ""} after={b ? pretty(b.value ?? null) : ""} />
                </div>
              )}
            </>
          )}
        </CardContent>
      </Card>
    </div>
  );
}

function Diff({ before, after }: { before: string; after: string }) {
  const lines = diffLines(before, after);
  return (
    <pre aria-label="Differences between the versions" className="max-h-80 overflow-auto rounded border border-border text-xs">
      {lines.map((line, i) => (
        <div
          key={i}
          className={cn(
            "px-2",
            line.kind === "added" && "bg-green-50 text-green-900",
            line.kind === "removed" && "bg-red-50 text-red-900",
          )}
        >
          {line.kind === "added" ? "+ " : line.kind === "removed" ? "- " : "  "}
          {line.text}
        </div>
      ))}
    </pre>
  );
}
