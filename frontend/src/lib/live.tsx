/**
 * The operator's live stream: one WebSocket (`/ws/operator?token=`) for the whole page.
 * Frames update the TanStack Query cache (appending messages, refetching what an event changed), so views
 * never poll. After a drop it reconnects with `since=<last seq>`, so no message is missed.
 */
import { type QueryClient, useQueryClient } from "@tanstack/react-query";
import { createContext, type ReactNode, useContext, useEffect, useMemo, useRef, useState } from "react";

import type { Message } from "../api/types";
import { getToken } from "./auth";

export type LiveState = "connecting" | "live" | "offline";

export interface Frame {
  type: string;
  id?: string;
  seq?: number;
  data?: unknown;
}

type Listener = (frame: Frame) => void;

interface Live {
  state: LiveState;
  listen: (listener: Listener) => () => void;
}

const LiveContext = createContext<Live>({ state: "offline", listen: () => () => undefined });

export function useLive(): Live {
  return useContext(LiveContext);
}

/** Calls `listener` for each frame of the stream while the component is mounted. */
export function useLiveEvents(listener: Listener): void {
  const { listen } = useLive();
  const current = useRef(listener);
  useEffect(() => {
    current.current = listener;
  });
  useEffect(() => listen((frame) => current.current(frame)), [listen]);
}

function appendMessage(client: QueryClient, message: Message): void {
  const add = (old: Message[] | undefined): Message[] | undefined =>
    old === undefined || old.some((m) => m.id === message.id) ? old : [...old, message];
  if (message.channel) client.setQueryData<Message[]>(["messages", "channel", message.channel], add);
  if (message.thread_id) client.setQueryData<Message[]>(["messages", "thread", message.thread_id], add);
  if (message.recipients.length > 0 && !("agenthub:event" in message.metadata)) {
    client.setQueryData<Message[]>(["messages", "direct"], add);
  }
}

/**
 * Refetches coalesced per query family: a burst of events (a busy channel) costs one refetch per family at
 * most every `COALESCE_MS`, and only of the queries on screen (TanStack refetches active queries only).
 */
const COALESCE_MS = 400;
const due = new Map<string, ReturnType<typeof setTimeout>>();

function refetchSoon(client: QueryClient, ...keys: string[][]): void {
  for (const key of keys) {
    const name = key.join("/");
    if (due.has(name)) continue;
    due.set(
      name,
      setTimeout(() => {
        due.delete(name);
        void client.invalidateQueries({ queryKey: key });
      }, COALESCE_MS),
    );
  }
}

/** What each event changes in the cache. */
export function applyFrame(client: QueryClient, frame: Frame): void {
  const [family] = frame.type.split(":");
  if (family === "ack" || family === "error") return;
  // Every change is audited, and locks and board threads have no events of their own: refetch them if they
  // are on screen.
  refetchSoon(client, ["audit"], ["locks"], ["threads"]);
  switch (family) {
    case "message":
      if (frame.type === "message:received" && frame.data) {
        appendMessage(client, frame.data as Message);
        refetchSoon(client, ["channels"], ["status"]);
      }
      break;
    case "agent":
      refetchSoon(client, ["agents"], ["status"]);
      break;
    case "task":
      refetchSoon(client, ["tasks"], ["agents", "hung"]);
      break;
    case "approval":
      refetchSoon(client, ["approvals"]);
      break;
    case "memory":
      refetchSoon(client, ["memory"]);
      break;
    default:
      break;
  }
}

export function LiveProvider({ children }: { children: ReactNode }) {
  const client = useQueryClient();
  const [state, setState] = useState<LiveState>("connecting");
  const listeners = useRef(new Set<Listener>());

  useEffect(() => {
    let socket: WebSocket | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let attempt = 0;
    let lastSeq: number | null = null;
    let stopped = false;

    const connect = () => {
      const scheme = window.location.protocol === "https:" ? "wss" : "ws";
      const token = getToken();
      const query = token ? `?token=${encodeURIComponent(token)}` : "";
      setState("connecting");
      socket = new WebSocket(`${scheme}://${window.location.host}/ws/operator${query}`);
      socket.onopen = () => {
        const data = lastSeq === null ? {} : { since: lastSeq };
        socket?.send(JSON.stringify({ type: "agent:register", id: "1", data }));
        // Memory changes go to watchers only; a hub without shared memory answers an error frame, ignored.
        socket?.send(JSON.stringify({ type: "memory:watch", id: "2", data: { prefix: "" } }));
      };
      socket.onmessage = (event: MessageEvent<string>) => {
        let frame: Frame;
        try {
          frame = JSON.parse(event.data) as Frame;
        } catch {
          return;
        }
        if (frame.id === "2") return;
        if (frame.type === "ack" && frame.id === "1") {
          const reconnected = attempt > 0;
          attempt = 0;
          setState("live");
          if (reconnected) void client.invalidateQueries({ predicate: (q) => q.queryKey[0] !== "messages" });
          return;
        }
        if (typeof frame.seq === "number") lastSeq = Math.max(lastSeq ?? 0, frame.seq);
        applyFrame(client, frame);
        for (const listener of listeners.current) listener(frame);
      };
      socket.onclose = () => {
        socket = null;
        if (stopped) return;
        setState("offline");
        attempt += 1;
        retry = setTimeout(connect, Math.min(10_000, 500 * 2 ** Math.min(attempt, 5)));
      };
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(retry);
      socket?.close();
    };
  }, [client]);

  const value = useMemo<Live>(
    () => ({
      state,
      listen: (listener) => {
        listeners.current.add(listener);
        return () => listeners.current.delete(listener);
      },
    }),
    [state],
  );
  return <LiveContext.Provider value={value}>{children}</LiveContext.Provider>;
}
