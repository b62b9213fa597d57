/** Wire shapes (shared/PROTOCOL.md §3). Those in this hub's OpenAPI schema come from it. */
import type { components } from "./schema";

export type Agent = components["schemas"]["Agent"];
export type Message = components["schemas"]["Message"];
export type Channel = components["schemas"]["Channel"];
export type HubStatus = components["schemas"]["HubStatus"];
export type Receipt = components["schemas"]["Receipt"];

export type TaskStatus = "pending" | "assigned" | "in_progress" | "completed" | "failed" | "cancelled";
export const TASK_STATUSES: TaskStatus[] = ["pending", "assigned", "in_progress", "completed", "failed", "cancelled"];

export interface Task {
  id: string;
  creator_id: string | null;
  title: string;
  description?: string | null;
  status: TaskStatus;
  priority: number;
  tags?: string[];
  requirements?: Record<string, unknown>;
  assignee_id: string | null;
  depends_on?: string[];
  result?: unknown;
  error?: string | null;
  attempts?: number;
  max_attempts?: number;
  lease_expires_at?: string | null;
  due_date?: string | null;
  created_at: string;
  completed_at?: string | null;
}

/** `GET /api/tasks/{id}/graph`: read tolerantly (nodes + edges, or tasks with depends_on). */
export interface TaskGraph {
  nodes?: Task[];
  tasks?: Task[];
  edges?: { from?: string; to?: string; source?: string; target?: string; task_id?: string; depends_on?: string }[];
}

export interface Memory {
  id: string;
  key: string;
  value: unknown;
  version: number;
  created_by: string | null;
  updated_by: string | null;
  created_at: string;
  updated_at: string;
  expires_at: string | null;
  access_control: { read: string[]; write: string[] } | null;
}

export interface MemoryVersion {
  key: string;
  version: number;
  memory_id?: string;
  change?: "set" | "deleted" | "expired";
  value: unknown;
  actor_id?: string | null;
  at?: string;
}

export interface Lock {
  id: string;
  resource: string;
  mode: "exclusive" | "shared";
  holder_id: string | null;
  holder_name?: string | null;
  intent: string | null;
  acquired_at: string;
  expires_at: string;
}

export type ApprovalStatus = "pending" | "approved" | "denied" | "expired";

export interface Approval {
  id: string;
  action: string;
  details: Record<string, unknown>;
  status: ApprovalStatus;
  requester_id: string | null;
  decided_by: string | null;
  reason: string | null;
  created_at: string;
  expires_at: string;
  decided_at: string | null;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor_id: string | null;
  action: string;
  subject_type: string;
  subject_id: string | null;
  details: Record<string, unknown>;
  hash?: string;
}

export interface AuditVerification {
  ok: boolean;
  entries: number;
  last_id?: number;
  first_bad_id?: number | null;
  problem?: string | null;
  message: string;
}

export interface HungAgent {
  agent: Agent;
  tasks: number;
  locks: number;
}
