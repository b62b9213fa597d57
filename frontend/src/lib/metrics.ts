/**
 * Time series for the overview charts, recorded in the page from the live stream: messages per second
 * (counted from `message:received`), queue depth (pending tasks) and active agents (online or busy),
 * sampled once a second from the query cache. Nothing here asks the hub anything.
 */
import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useSyncExternalStore } from "react";

import type { Agent, Task } from "../api/types";
import { useLiveEvents } from "./live";

export interface Sample {
  t: number;
  messages: number;
  queue: number | null;
  agents: number | null;
}

const KEEP = 180;
let samples: Sample[] = [];
let counted = 0;
const subscribers = new Set<() => void>();

function subscribe(callback: () => void): () => void {
  subscribers.add(callback);
  return () => subscribers.delete(callback);
}

export function useSamples(): Sample[] {
  return useSyncExternalStore(subscribe, () => samples);
}

/** Mounted once by the shell: counts messages and takes a sample every second. */
export function useMetricsRecorder(): void {
  const client = useQueryClient();
  useLiveEvents((frame) => {
    if (frame.type === "message:received") counted += 1;
  });
  useEffect(() => {
    const sample = () => {
      const agents = client.getQueryData<Agent[]>(["agents", "all"]);
      const tasks = client.getQueryData<Task[]>(["tasks", "all"]);
      const taken: Sample = {
        t: Date.now(),
        messages: counted,
        queue: tasks ? tasks.filter((t) => t.status === "pending").length : null,
        agents: agents ? agents.filter((a) => a.status === "online" || a.status === "busy").length : null,
      };
      counted = 0;
      samples = [...samples, taken].slice(-KEEP);
      for (const callback of subscribers) callback();
    };
    const first = setTimeout(sample, 0);
    const tick = setInterval(sample, 1000);
    return () => {
      clearTimeout(first);
      clearInterval(tick);
    };
  }, [client]);
}
