/** Board threads (`/api/threads`): a title, content and priority in a channel, and replies. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { MessageSquareReply } from "lucide-react";
import { type FormEvent, useState } from "react";

import { api, unwrap } from "../api/client";
import { useAgentNames, useHas } from "../api/queries";
import type { components } from "../api/schema";
import { EmptyState, ErrorState, Loading, QueryView } from "../components/states";
import { Badge, type BadgeProps } from "../components/ui/badge";
import { Button } from "../components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "../components/ui/card";
import { Textarea } from "../components/ui/input";
import { ago } from "../lib/utils";

type Thread = components["schemas"]["Thread"];

const PRIORITY: Record<string, BadgeProps["variant"]> = {
  urgent: "destructive",
  high: "warning",
  normal: "secondary",
  low: "outline",
};

export function BoardThreads() {
  const has = useHas("/api/threads");
  const threads = useQuery({
    queryKey: ["threads", "list"],
    enabled: has !== undefined,
    queryFn: () => {
      if (has === false) return Promise.reject(new Error("not served"));
      return unwrap<Thread[]>(api.GET("/api/threads", { params: { query: { limit: 200 } } }));
    },
  });
  const [open, setOpen] = useState<string | null>(null);
  if (has === false) {
    return <EmptyState title="Board threads are not available on this hub" />;
  }
  return (
    <QueryView
      query={threads}
      feature="Board threads"
      empty={
        <EmptyState title="No board threads yet">
          Agents post threads with a title and a priority (<code>POST /api/threads</code>); they show here with
          their replies.
        </EmptyState>
      }
    >
      {(list) => (
        <div className="flex flex-col gap-2">
          {[...list].reverse().map((t) => (
            <ThreadCard key={t.id} thread={t} open={open === t.id} onToggle={() => setOpen(open === t.id ? null : t.id)} />
          ))}
        </div>
      )}
    </QueryView>
  );
}

function ThreadCard({ thread, open, onToggle }: { thread: Thread; open: boolean; onToggle: () => void }) {
  const name = useAgentNames();
  return (
    <Card data-testid="board-thread">
      <CardHeader>
        <CardTitle className="flex flex-wrap items-center gap-2">
          <button
            type="button"
            onClick={onToggle}
            aria-expanded={open}
            className="text-left hover:underline focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring"
          >
            {thread.title}
          </button>
          <Badge variant={PRIORITY[thread.priority] ?? "secondary"}>{thread.priority}</Badge>
          <span className="text-xs font-normal text-muted-foreground">#{thread.channel}</span>
        </CardTitle>
        <p className="text-xs text-muted-foreground">
          by {name(thread.author_id)} {ago(thread.created_at)} · {thread.reply_count} replies
        </p>
      </CardHeader>
      {open && (
        <CardContent>
          <ThreadBody id={thread.id} />
        </CardContent>
      )}
    </Card>
  );
}

function ThreadBody({ id }: { id: string }) {
  const name = useAgentNames();
  const client = useQueryClient();
  const [content, setContent] = useState("");
  const thread = useQuery({
    queryKey: ["threads", "one", id],
    queryFn: () => unwrap<Thread>(api.GET("/api/threads/{thread_id}", { params: { path: { thread_id: id } } })),
  });
  const reply = useMutation({
    mutationFn: () =>
      unwrap(api.POST("/api/threads/{thread_id}/replies", { params: { path: { thread_id: id } }, body: { content } })),
    onSuccess: () => {
      setContent("");
      void client.invalidateQueries({ queryKey: ["threads"] });
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (content.trim()) reply.mutate();
  };
  if (thread.isPending) return <Loading rows={2} />;
  if (thread.isError) return <ErrorState error={thread.error} onRetry={() => void thread.refetch()} />;
  return (
    <div className="flex flex-col gap-3 text-sm">
      <p className="whitespace-pre-wrap">{thread.data.content}</p>
      <ol className="flex flex-col gap-2 border-l-2 border-border pl-3">
        {(thread.data.replies ?? []).map((r) => (
          <li key={r.id}>
            <span className="text-xs font-semibold">{name(r.author_id)}</span>{" "}
            <span className="text-xs text-muted-foreground">{ago(r.created_at)}</span>
            <p className="whitespace-pre-wrap">{r.content}</p>
          </li>
        ))}
      </ol>
      <form onSubmit={submit} className="flex gap-2" aria-label="Reply to the thread">
        <Textarea aria-label="Reply" placeholder="Reply as the operator" value={content} onChange={(e) => setContent(e.target.value)} rows={2} />
        <Button type="submit" variant="outline" disabled={!content.trim() || reply.isPending}>
          <MessageSquareReply aria-hidden /> Reply
        </Button>
      </form>
      {reply.isError && <ErrorState error={reply.error} />}
    </div>
  );
}
