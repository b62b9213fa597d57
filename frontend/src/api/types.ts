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

export type Memory = components["schemas"]["Memory"];
export type MemoryVersion = components["schemas"]["MemoryVersion"];
export type Lock = components["schemas"]["Lock"];
export type Approval = components["schemas"]["Approval"];
export type ApprovalStatus = components["schemas"]["ApprovalStatus"];
export type AuditEntry = components["schemas"]["AuditEntry"];
export type AuditVerification = components["schemas"]["AuditVerification"];
export type HungAgent = components["schemas"]["HungAgent"];
