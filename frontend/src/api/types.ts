/** Wire shapes (shared/PROTOCOL.md §3). Those in this hub's OpenAPI schema come from it. */
import type { components } from "./schema";

export type Agent = components["schemas"]["Agent"];
export type Message = components["schemas"]["Message"];
export type Channel = components["schemas"]["Channel"];
export type HubStatus = components["schemas"]["HubStatus"];
export type Receipt = components["schemas"]["Receipt"];

export type Task = components["schemas"]["Task"];
export type TaskStatus = components["schemas"]["TaskStatus"];
export const TASK_STATUSES: TaskStatus[] = ["pending", "assigned", "in_progress", "completed", "failed", "cancelled"];

/** `GET /api/tasks/{id}/graph`, or one built in the page from the task list (`nodes` only). */
export interface TaskGraph {
  nodes?: Task[];
  tasks?: Task[];
  edges?: { task_id: string; depends_on: string }[];
}

export type Memory = components["schemas"]["Memory"];
export type MemoryVersion = components["schemas"]["MemoryVersion"];
export type Lock = components["schemas"]["Lock"];
export type Approval = components["schemas"]["Approval"];
export type ApprovalStatus = components["schemas"]["ApprovalStatus"];
export type AuditEntry = components["schemas"]["AuditEntry"];
export type AuditVerification = components["schemas"]["AuditVerification"];
export type HungAgent = components["schemas"]["HungAgent"];
