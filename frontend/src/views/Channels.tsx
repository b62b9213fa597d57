import { useMutation } from "@tanstack/react-query";
import { Check, CheckCheck, Hash, MessageSquareReply, Search, Send, StickyNote, Users, X } from "lucide-react";
import { type FormEvent, type KeyboardEvent, useEffect, useRef, useState } from "react";

import { api, unwrap } from "../api/client";
import {
  useAgentNames,
  useChannelMessages,
  useChannels,
  useDirectMessages,
  useSearch,
  useThreadMessages,
} from "../api/queries";
import type { Message } from "../api/types";
import { EmptyState, ErrorState, Loading, QueryView } from "../components/states";
import { Badge } from "../components/ui/badge";
import { Button } from "../components/ui/button";
import { Input, Textarea } from "../components/ui/input";
import { href, navigate } from "../lib/router";
import { cn, dateTime, time } from "../lib/utils";
import { BoardThreads } from "./Board";

const DIRECT = "@direct";
const BOARD = "@board";

export function ChannelsView({ rest }: { rest: string }) {
  const [search, setSearch] = useState("");
  const [query, setQuery] = useState("");
  const [threadOf, setThreadOf] = useState<{ view: string | null; id: string } | null>(null);
  const channels = useChannels();
  const selected = rest || null;
  const thread = threadOf?.view === selected ? threadOf.id : null;
  const setThread = (id: string | null) => setThreadOf(id === null ? null : { view: selected, id });

  const submitSearch = (event: FormEvent) => {
    event.preventDefault();
    setQuery(search.trim());
  };

  return (
    <div className="grid gap-4 lg:grid-cols-[15rem_minmax(0,1fr)]">
      <div className="flex flex-col gap-3">
        <form onSubmit={submitSearch} role="search" className="flex gap-2">
          <Input
            aria-label="Search messages"
            placeholder="Search messages"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
          <Button type="submit" variant="outline" size="icon" aria-label="Search">
            <Search />
          </Button>
        </form>
        <nav aria-label="Channels" className="flex flex-col gap-0.5">
          <a
            href={href("channels", DIRECT)}
            aria-current={selected === DIRECT ? "page" : undefined}
            className={cn(
              "flex items-center gap-2 rounded-md px-2 py-1.5 text-sm hover:bg-muted focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring",
              selected === DIRECT && "bg-muted font-medium",
            )}
          >
            <Users className="size-4" aria-hidden /> Direct messages
          </a>
          <a
            href={href("channels", BOARD)}
            aria-current={selected === BOARD ? "page" : undefined}
            className={cn(
              "flex items-center gap-2 rounded-md px-2 py-1.5 text-sm hover:bg-muted focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring",
              selected === BOARD && "bg-muted font-medium",
            )}
          >
            <StickyNote className="size-4" aria-hidden /> Board threads
          </a>
          <QueryView
            query={channels}
            feature="Channels"
            rows={4}
            empty={<p className="px-2 py-3 text-sm text-muted-foreground">No channels yet: a channel appears with its first message. Send one below.</p>}
          >
            {(list) =>
              list.map((c) => (
                <a
                  key={c.name}
                  href={href("channels", c.name)}
                  aria-current={selected === c.name ? "page" : undefined}
                  className={cn(
                    "flex items-center justify-between gap-2 rounded-md px-2 py-1.5 text-sm hover:bg-muted focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring",
                    selected === c.name && "bg-muted font-medium",
                  )}
                >
                  <span className="flex min-w-0 items-center gap-2">
                    <Hash className="size-4 shrink-0" aria-hidden />
                    <span className="truncate">{c.name}</span>
                  </span>
                  <span className="text-xs text-muted-foreground">{c.message_count}</span>
                </a>
              ))
            }
          </QueryView>
        </nav>
      </div>
      <section className="flex min-w-0 flex-col gap-3" aria-label="Messages">
        {query ? (
          <SearchResults q={query} onClose={() => { setQuery(""); setSearch(""); }} />
        ) : selected === BOARD ? (
          <>
            <h2 className="text-lg font-semibold">Board threads</h2>
            <BoardThreads />
          </>
        ) : selected === null ? (
          <div className="flex flex-col gap-4">
            <EmptyState title="Pick a channel">
              Choose a channel on the left to follow its messages live, or start a new one by sending to it.
            </EmptyState>
            <Composer channel={null} threadId={null} />
          </div>
        ) : (
          <>
            <div className="flex flex-wrap items-center gap-2">
              <h2 className="text-lg font-semibold">{selected === DIRECT ? "Direct messages" : `#${selected}`}</h2>
              {thread && (
                <Badge variant="info">
                  thread
                  <button type="button" aria-label="Leave the thread" onClick={() => setThread(null)} className="rounded-full focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring">
                    <X className="size-3" />
                  </button>
                </Badge>
              )}
            </div>
            {thread ? (
              <ThreadLog threadId={thread} />
            ) : selected === DIRECT ? (
              <DirectLog onThread={setThread} />
            ) : (
              <ChannelLog channel={selected} onThread={setThread} />
            )}
            <Composer channel={selected === DIRECT ? null : selected} threadId={thread} direct={selected === DIRECT} />
          </>
        )}
      </section>
    </div>
  );
}

function ChannelLog({ channel, onThread }: { channel: string; onThread: (id: string) => void }) {
  const messages = useChannelMessages(channel);
  return <Log query={messages} onThread={onThread} empty="No messages in this channel yet. Say something below." />;
}

function DirectLog({ onThread }: { onThread: (id: string) => void }) {
  const messages = useDirectMessages(true);
  return <Log query={messages} onThread={onThread} empty="No direct messages yet. Agents' direct messages to each other show here, with delivery and read marks." />;
}

function ThreadLog({ threadId }: { threadId: string }) {
  const messages = useThreadMessages(threadId);
  return <Log query={messages} empty="This thread has no messages." />;
}

function Log({
  query,
  onThread,
  empty,
}: {
  query: ReturnType<typeof useChannelMessages>;
  onThread?: (id: string) => void;
  empty: string;
}) {
  const end = useRef<HTMLDivElement>(null);
  const count = query.data?.length ?? 0;
  useEffect(() => {
    end.current?.scrollIntoView({ block: "end" });
  }, [count]);
  if (query.isPending) return <Loading rows={5} label="Loading messages" />;
  if (query.isError) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  return (
    <div
      role="log"
      aria-live="polite"
      aria-label="Message log"
      className="flex max-h-[60vh] min-h-48 flex-col gap-1 overflow-y-auto rounded-lg border border-border p-2"
    >
      {count === 0 ? (
        <p className="p-4 text-center text-sm text-muted-foreground">{empty}</p>
      ) : (
        query.data?.map((m) => <MessageItem key={m.id} message={m} onThread={onThread} />)
      )}
      <div ref={end} />
    </div>
  );
}

function Receipts({ message }: { message: Message }) {
  const name = useAgentNames();
  const receipts = message.receipts ?? [];
  if (message.recipients.length === 0) return null;
  const read = receipts.length > 0 && receipts.every((r) => r.read_at);
  const delivered = receipts.length > 0 && receipts.every((r) => r.delivered_at);
  const label = read ? "read" : delivered ? "delivered" : "sent";
  const detail = receipts
    .map((r) => `${name(r.agent_id)}: ${r.read_at ? "read" : r.delivered_at ? "delivered" : "not yet delivered"}`)
    .join(", ");
  const Icon = delivered || read ? CheckCheck : Check;
  return (
    <span title={detail || label} aria-label={label} data-receipt={label} className="inline-flex items-center">
      <Icon className={cn("size-4", read ? "text-blue-600" : "text-muted-foreground")} />
    </span>
  );
}

function MessageItem({ message, onThread }: { message: Message; onThread?: (id: string) => void }) {
  const name = useAgentNames();
  return (
    <article data-testid="message" data-seq={message.seq} className="rounded-md px-2 py-1.5 hover:bg-muted/60">
      <header className="flex flex-wrap items-center gap-x-2 gap-y-0.5 text-xs">
        <span className="font-semibold text-foreground">{name(message.sender_id)}</span>
        {message.recipients.length > 0 && (
          <span className="text-muted-foreground">→ {message.recipients.map(name).join(", ")}</span>
        )}
        <time dateTime={message.created_at} title={dateTime(message.created_at)} className="text-muted-foreground">
          {time(message.created_at)}
        </time>
        {message.message_type !== "text" && <Badge variant="secondary">{message.message_type}</Badge>}
        {message.thread_id && onThread && (
          <button
            type="button"
            onClick={() => onThread(message.thread_id ?? "")}
            className="inline-flex items-center gap-1 text-primary hover:underline focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring"
          >
            <MessageSquareReply className="size-3" aria-hidden /> thread
          </button>
        )}
        <Receipts message={message} />
      </header>
      {message.title && <p className="text-sm font-semibold">{message.title}</p>}
      <p className="text-sm whitespace-pre-wrap break-words">{message.content}</p>
    </article>
  );
}

function SearchResults({ q, onClose }: { q: string; onClose: () => void }) {
  const results = useSearch(q);
  return (
    <div className="flex flex-col gap-2">
      <div className="flex items-center gap-2">
        <h2 className="text-lg font-semibold">Results for “{q}”</h2>
        <Button variant="ghost" size="sm" onClick={onClose}>
          <X aria-hidden /> Clear
        </Button>
      </div>
      <QueryView query={results} feature="Search" empty={<EmptyState title="Nothing matches">Try fewer or other words.</EmptyState>}>
        {(list) => (
          <div className="flex flex-col gap-1 rounded-lg border border-border p-2">
            {list.map((m) => (
              <div key={m.id}>
                {m.channel && (
                  <button type="button" className="text-xs text-primary hover:underline" onClick={() => { onClose(); navigate("channels", m.channel ?? ""); }}>
                    #{m.channel}
                  </button>
                )}
                <MessageItem message={m} />
              </div>
            ))}
          </div>
        )}
      </QueryView>
    </div>
  );
}

function Composer({ channel, threadId, direct = false }: { channel: string | null; threadId: string | null; direct?: boolean }) {
  const [content, setContent] = useState("");
  const [title, setTitle] = useState("");
  const [target, setTarget] = useState("");
  const send = useMutation({
    mutationFn: () => {
      const recipients = direct ? target.split(",").map((s) => s.trim()).filter(Boolean) : [];
      const to = channel ?? (direct ? null : target.trim() || null);
      return unwrap<Message>(
        api.POST("/api/messages", {
          body: {
            content,
            channel: to,
            recipients,
            thread_id: threadId,
            title: title.trim() || null,
          },
        }),
      );
    },
    onSuccess: (message) => {
      setContent("");
      setTitle("");
      if (channel === null && !direct && message.channel) navigate("channels", message.channel);
    },
  });
  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    if (content.trim() && !send.isPending) send.mutate();
  };
  const onKey = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      submit();
    }
  };
  return (
    <form onSubmit={submit} className="flex flex-col gap-2 rounded-lg border border-border p-3" aria-label="Send a message">
      <div className="flex flex-col gap-2 sm:flex-row">
        {(channel === null || direct) && (
          <Input
            aria-label={direct ? "Recipients" : "Channel"}
            placeholder={direct ? "to: agent names, comma separated" : "channel, e.g. general"}
            value={target}
            onChange={(e) => setTarget(e.target.value)}
            className="sm:max-w-64"
          />
        )}
        {!threadId && (
          <Input aria-label="Title" placeholder="title (optional)" value={title} onChange={(e) => setTitle(e.target.value)} />
        )}
      </div>
      <div className="flex gap-2">
        <Textarea
          aria-label="Message"
          placeholder={threadId ? "Reply in the thread as the operator" : "Message as the operator (Enter sends, Shift+Enter for a new line)"}
          value={content}
          onChange={(e) => setContent(e.target.value)}
          onKeyDown={onKey}
          rows={2}
        />
        <Button type="submit" disabled={!content.trim() || send.isPending} aria-label="Send">
          <Send aria-hidden /> <span className="hidden sm:inline">Send</span>
        </Button>
      </div>
      {send.isError && <p role="alert" className="text-sm text-destructive">{send.error.message}</p>}
    </form>
  );
}
