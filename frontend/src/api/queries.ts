/** One query hook per list the views show. Live events refetch or patch them (see lib/live.tsx). */
import { useQuery } from "@tanstack/react-query";

import { api, ApiError, request, unwrap } from "./client";
import type {
  Agent,
  Approval,
  AuditEntry,
  AuditVerification,
  Channel,
  HubStatus,
  HungAgent,
  Lock,
  Memory,
  Message,
  Task,
} from "./types";

/**
 * The API paths this hub serves, read from its OpenAPI schema once: views of features the hub lacks say so
 * instead of calling endpoints that are not there.
 */
export function useFeatures() {
  return useQuery({
    queryKey: ["features"],
    staleTime: Infinity,
    queryFn: async () => {
      const schema = await request<{ paths?: Record<string, unknown> }>("GET", "/openapi.json");
      return new Set(Object.keys(schema.paths ?? {}));
    },
  });
}

/** Whether the hub serves `path` (undefined while the schema loads; assumed present if it cannot be read). */
export function useHas(path: string): boolean | undefined {
  const features = useFeatures();
  if (features.isError) return true;
  if (!features.data) return undefined;
  if (!path.includes("{")) return features.data.has(path);
  const pattern = new RegExp(`^${path.replace(/\{[^}]*\}/g, "\\{[^}]+\\}")}$`);
  return [...features.data].some((p) => pattern.test(p));
}

/** Refreshed on live events, and every 10 s as well: a hub that can no longer store anything sends none. */
export function useStatus() {
  return useQuery({
    queryKey: ["status"],
    queryFn: () => unwrap<HubStatus>(api.GET("/api/status")),
    refetchInterval: 10_000,
  });
}

export function useAgents() {
  return useQuery({
    queryKey: ["agents", "all"],
    queryFn: () => unwrap<Agent[]>(api.GET("/api/agents", { params: { query: { limit: 1000 } } })),
  });
}

/** Agents that hold work but stopped heartbeating; empty on a hub without the endpoint. */
export function useHungAgents() {
  const has = useHas("/api/agents/hung");
  return useQuery({
    queryKey: ["agents", "hung"],
    enabled: has === true,
    queryFn: async () => {
      try {
        return await unwrap<HungAgent[]>(api.GET("/api/agents/hung"));
      } catch {
        return [];
      }
    },
    select: (data) => new Set(data.map((item) => item.agent.id)),
  });
}

export function useAgentNames(): (id: string | null | undefined) => string {
  const agents = useAgents();
  const names = new Map((agents.data ?? []).map((a) => [a.id, a.name]));
  return (id) => (id ? (names.get(id) ?? id.slice(0, 8)) : "operator");
}

export function useChannels() {
  return useQuery({ queryKey: ["channels"], queryFn: () => unwrap<Channel[]>(api.GET("/api/channels")) });
}

export function useChannelMessages(channel: string | null) {
  return useQuery({
    queryKey: ["messages", "channel", channel],
    enabled: channel !== null,
    queryFn: () =>
      unwrap<Message[]>(api.GET("/api/messages", { params: { query: { channel: channel ?? "", limit: 200 } } })),
    staleTime: Infinity,
  });
}

export function useThreadMessages(threadId: string | null) {
  return useQuery({
    queryKey: ["messages", "thread", threadId],
    enabled: threadId !== null,
    queryFn: () =>
      unwrap<Message[]>(api.GET("/api/messages", { params: { query: { thread_id: threadId ?? "", limit: 200 } } })),
    staleTime: Infinity,
  });
}

/** Direct messages: the operator sees every message; those with recipients are the direct ones. */
export function useDirectMessages(enabled: boolean) {
  return useQuery({
    queryKey: ["messages", "direct"],
    enabled,
    queryFn: async () =>
      (await unwrap<Message[]>(api.GET("/api/messages", { params: { query: { limit: 1000 } } }))).filter(
        (m) => m.recipients.length > 0 && !("agenthub:event" in m.metadata),
      ),
    staleTime: Infinity,
  });
}

export function useSearch(q: string) {
  return useQuery({
    queryKey: ["search", q],
    enabled: q.trim().length > 0,
    queryFn: () => unwrap<Message[]>(api.GET("/api/search", { params: { query: { q, limit: 100 } } })),
  });
}

/** Runs `call` when the hub serves the feature; otherwise fails as "not available" without asking the hub. */
function ifServed<T>(has: boolean | undefined, call: () => Promise<T>): Promise<T> {
  if (has === false) return Promise.reject(new ApiError(404, "not_available", "this hub does not offer this feature"));
  return call();
}

export function useTasks() {
  const has = useHas("/api/tasks");
  return useQuery({
    enabled: has !== undefined,
    queryKey: ["tasks", "all"],
    queryFn: () => ifServed(has, () => unwrap<Task[]>(api.GET("/api/tasks", { params: { query: { limit: 1000 } } }))),
  });
}

export function useMemory(prefix: string) {
  const has = useHas("/api/memory");
  return useQuery({
    enabled: has !== undefined,
    queryKey: ["memory", "list", prefix],
    queryFn: () => ifServed(has, () => unwrap<Memory[]>(api.GET("/api/memory", { params: { query: { prefix, limit: 1000 } } }))),
  });
}

export function useLocks() {
  const has = useHas("/api/locks");
  return useQuery({
    enabled: has !== undefined,
    queryKey: ["locks"],
    queryFn: () => ifServed(has, () => unwrap<Lock[]>(api.GET("/api/locks", { params: { query: { limit: 1000 } } }))),
  });
}

export function useApprovals() {
  const has = useHas("/api/approvals");
  return useQuery({
    enabled: has !== undefined,
    queryKey: ["approvals"],
    queryFn: () => ifServed(has, () => unwrap<Approval[]>(api.GET("/api/approvals", { params: { query: { limit: 1000 } } }))),
  });
}

export function useAudit(filters: { actor_id?: string; action?: string; since?: string }) {
  const has = useHas("/api/audit");
  return useQuery({
    enabled: has !== undefined,
    queryKey: ["audit", "list", filters],
    queryFn: () => ifServed(has, () => unwrap<AuditEntry[]>(api.GET("/api/audit", { params: { query: { ...filters, limit: 500 } } }))),
  });
}

export function useAuditVerification() {
  const has = useHas("/api/audit/verify");
  return useQuery({
    enabled: has !== undefined,
    queryKey: ["audit", "verify"],
    queryFn: () => ifServed(has, () => unwrap<AuditVerification>(api.GET("/api/audit/verify"))),
  });
}
