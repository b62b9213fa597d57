import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { CheckCircle2, Plus, UserPlus, XCircle } from "lucide-react";
import { type FormEvent, useState } from "react";

import { api, ApiError, unwrap } from "../api/client";
import { useAgentNames, useAgents, useHas, useTasks } from "../api/queries";
import { TASK_STATUSES, type Task, type TaskGraph as Graph, type TaskStatus } from "../api/types";
import { EmptyState, ErrorState, Loading, QueryView } from "../components/states";
import { localGraph, TaskGraph } from "../components/TaskGraph";
import { Badge } from "../components/ui/badge";
import { Button } from "../components/ui/button";
import { Dialog, DialogContent, DialogDescription, DialogHeader, DialogTitle } from "../components/ui/dialog";
import { Input, Label, Select, Textarea } from "../components/ui/input";
import { ago, dateTime, pretty } from "../lib/utils";

const LABEL: Record<TaskStatus, string> = {
  pending: "Pending",
  assigned: "Assigned",
  in_progress: "In progress",
  completed: "Done",
  failed: "Failed",
  cancelled: "Cancelled",
};
const FINISHED = new Set<TaskStatus>(["completed", "failed", "cancelled"]);

function Priority({ value }: { value: number }) {
  const variant = value >= 4 ? "destructive" : value === 3 ? "warning" : "secondary";
  return (
    <Badge variant={variant} title="priority (higher is more urgent)">
      P{value}
    </Badge>
  );
}

export function TasksView() {
  const tasks = useTasks();
  const [open, setOpen] = useState<Task | null>(null);
  const [creating, setCreating] = useState(false);
  return (
    <div className="flex flex-col gap-4">
      {!(tasks.error instanceof ApiError && tasks.error.unavailable) && (
        <div>
          <Button onClick={() => setCreating(true)}>
            <Plus aria-hidden /> New task
          </Button>
        </div>
      )}
      <QueryView
        query={tasks}
        feature="Tasks"
        empty={
          <EmptyState title="No tasks yet">
            Create one with “New task”, or from an agent with <code>POST /api/tasks</code>; workers claim them with{" "}
            <code>POST /api/tasks/claim</code>.
          </EmptyState>
        }
      >
        {(list) => (
          <div className="grid grid-cols-1 gap-3 sm:grid-cols-2 xl:grid-cols-3 2xl:grid-cols-6">
            {TASK_STATUSES.map((status) => {
              const column = list
                .filter((t) => t.status === status)
                .sort((a, b) => b.priority - a.priority || a.created_at.localeCompare(b.created_at));
              return (
                <section key={status} aria-label={LABEL[status]} data-column={status} className="flex flex-col gap-2 rounded-lg bg-muted/60 p-2">
                  <h2 className="flex items-center justify-between px-1 text-sm font-semibold">
                    {LABEL[status]} <span className="text-xs font-normal text-muted-foreground">{column.length}</span>
                  </h2>
                  {column.map((t) => (
                    <TaskCard key={t.id} task={t} onOpen={() => setOpen(t)} />
                  ))}
                </section>
              );
            })}
          </div>
        )}
      </QueryView>
      <CreateTask open={creating} onOpenChange={setCreating} tasks={tasks.data ?? []} />
      {open && <TaskDetail task={(tasks.data ?? []).find((t) => t.id === open.id) ?? open} tasks={tasks.data ?? []} onClose={() => setOpen(null)} />}
    </div>
  );
}

function TaskCard({ task, onOpen }: { task: Task; onOpen: () => void }) {
  const name = useAgentNames();
  return (
    <button
      type="button"
      onClick={onOpen}
      data-testid="task-card"
      data-task={task.title}
      className="flex flex-col gap-1.5 rounded-md border border-border bg-background p-2.5 text-left text-sm shadow-sm hover:border-primary/50 focus-visible:outline-none focus-visible:ring-2 focus-visible:ring-ring"
    >
      <span className="flex items-start gap-1.5 font-medium">
        {task.status === "completed" && (
          <CheckCircle2 className="mt-0.5 size-4 shrink-0 text-success" aria-label="completed" data-testid="task-done" />
        )}
        {task.status === "failed" && <XCircle className="mt-0.5 size-4 shrink-0 text-destructive" aria-label="failed" />}
        <span className="break-words">{task.title}</span>
      </span>
      <span className="flex flex-wrap items-center gap-1 text-xs text-muted-foreground">
        <Priority value={task.priority} />
        {task.assignee_id && <span>→ {name(task.assignee_id)}</span>}
        {(task.attempts ?? 0) > 0 && (
          <span title="attempts">
            attempt {task.attempts}/{task.max_attempts ?? "?"}
          </span>
        )}
      </span>
      {task.lease_expires_at && !FINISHED.has(task.status) && (
        <span className="text-xs text-muted-foreground">lease ends {ago(task.lease_expires_at)}</span>
      )}
      {(task.tags ?? []).length > 0 && (
        <span className="flex flex-wrap gap-1">
          {(task.tags ?? []).map((tag) => (
            <Badge key={tag} variant="outline">
              {tag}
            </Badge>
          ))}
        </span>
      )}
    </button>
  );
}

function useTaskAction(onDone?: () => void) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ taskId, assignTo }: { taskId: string; assignTo?: string }) => {
      const path = { params: { path: { task_id: taskId } } };
      return unwrap<Task>(
        assignTo === undefined
          ? api.POST("/api/tasks/{task_id}/cancel", path)
          : api.POST("/api/tasks/{task_id}/assign", { ...path, body: { agent_id: assignTo } }),
      );
    },
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ["tasks"] });
      onDone?.();
    },
  });
}

function TaskDetail({ task, tasks, onClose }: { task: Task; tasks: Task[]; onClose: () => void }) {
  const name = useAgentNames();
  const agents = useAgents();
  const [assignee, setAssignee] = useState("");
  const action = useTaskAction();
  const hasGraph = useHas("/api/tasks/{id}/graph");
  const graph = useQuery({
    queryKey: ["tasks", "graph", task.id, task.status],
    enabled: hasGraph !== undefined,
    queryFn: async () => {
      if (!hasGraph) return localGraph(task, tasks);
      try {
        return await unwrap<Graph>(api.GET("/api/tasks/{task_id}/graph", { params: { path: { task_id: task.id } } }));
      } catch {
        return localGraph(task, tasks);
      }
    },
  });
  const finished = FINISHED.has(task.status);
  return (
    <Dialog open onOpenChange={(open) => !open && onClose()}>
      <DialogContent className="max-w-2xl">
        <DialogHeader>
          <DialogTitle className="flex items-center gap-2">
            {task.status === "completed" && <CheckCircle2 className="size-5 text-success" aria-label="completed" />}
            {task.title}
          </DialogTitle>
          <DialogDescription>
            {LABEL[task.status]} · priority {task.priority} · created {dateTime(task.created_at)} by {name(task.creator_id)}
          </DialogDescription>
        </DialogHeader>
        {task.description && <p className="text-sm whitespace-pre-wrap">{task.description}</p>}
        <dl className="grid grid-cols-[8rem_1fr] gap-x-3 gap-y-1 text-sm">
          <dt className="text-muted-foreground">Assignee</dt>
          <dd>{task.assignee_id ? name(task.assignee_id) : "nobody"}</dd>
          <dt className="text-muted-foreground">Attempts</dt>
          <dd>
            {task.attempts ?? 0} of {task.max_attempts ?? "?"}
          </dd>
          <dt className="text-muted-foreground">Lease ends</dt>
          <dd>{task.lease_expires_at ? dateTime(task.lease_expires_at) : "no lease"}</dd>
          {task.due_date && (
            <>
              <dt className="text-muted-foreground">Due</dt>
              <dd>{dateTime(task.due_date)}</dd>
            </>
          )}
          {task.result !== undefined && task.result !== null && (
            <>
              <dt className="text-muted-foreground">Result</dt>
              <dd>
                <pre className="max-h-40 overflow-auto rounded bg-muted p-2 text-xs">{pretty(task.result)}</pre>
              </dd>
            </>
          )}
          {task.error && (
            <>
              <dt className="text-muted-foreground">Error</dt>
              <dd className="text-destructive">{task.error}</dd>
            </>
          )}
        </dl>
        <div>
          <h3 className="mb-2 text-sm font-semibold">Dependencies</h3>
          <div className="overflow-x-auto rounded-md border border-border p-2">
            {graph.isPending ? <Loading rows={1} /> : <TaskGraph graph={graph.data ?? { nodes: [task] }} rootId={task.id} />}
          </div>
        </div>
        {!finished && (
          <div className="flex flex-wrap items-end gap-2">
            <div className="flex flex-col gap-1">
              <Label htmlFor="assignee">Assign to</Label>
              <Select id="assignee" value={assignee} onChange={(e) => setAssignee(e.target.value)}>
                <option value="">choose an agent</option>
                {(agents.data ?? []).map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.name} ({a.status})
                  </option>
                ))}
              </Select>
            </div>
            <Button
              variant="outline"
              disabled={!assignee || action.isPending}
              onClick={() => action.mutate({ taskId: task.id, assignTo: assignee })}
            >
              <UserPlus aria-hidden /> Assign
            </Button>
            <Button variant="destructive" disabled={action.isPending} onClick={() => action.mutate({ taskId: task.id })}>
              <XCircle aria-hidden /> Cancel task
            </Button>
          </div>
        )}
        {action.isError && <ErrorState error={action.error} />}
      </DialogContent>
    </Dialog>
  );
}

function CreateTask({ open, onOpenChange, tasks }: { open: boolean; onOpenChange: (open: boolean) => void; tasks: Task[] }) {
  const agents = useAgents();
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [priority, setPriority] = useState(2);
  const [tags, setTags] = useState("");
  const [assign, setAssign] = useState("");
  const [depends, setDepends] = useState<string[]>([]);
  const client = useQueryClient();
  const create = useMutation({
    mutationFn: () =>
      unwrap<Task>(
        api.POST("/api/tasks", {
          body: {
            title,
            description,
            priority,
            tags: tags.split(",").map((s) => s.trim()).filter(Boolean),
            depends_on: depends,
            ...(assign ? { assign_to: assign } : {}),
          },
        }),
      ),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ["tasks"] });
      setTitle("");
      setDescription("");
      setTags("");
      setDepends([]);
      setAssign("");
      onOpenChange(false);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (title.trim()) create.mutate();
  };
  const open_ = tasks.filter((t) => !FINISHED.has(t.status) || t.status === "completed");
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>New task</DialogTitle>
          <DialogDescription>Created as the operator. Workers claim pending tasks, highest priority first.</DialogDescription>
        </DialogHeader>
        <form onSubmit={submit} className="flex flex-col gap-3">
          <Label htmlFor="task-title">Title</Label>
          <Input id="task-title" value={title} onChange={(e) => setTitle(e.target.value)} required />
          <Label htmlFor="task-description">Description</Label>
          <Textarea id="task-description" value={description} onChange={(e) => setDescription(e.target.value)} />
          <div className="grid grid-cols-2 gap-3">
            <div className="flex flex-col gap-1">
              <Label htmlFor="task-priority">Priority (1-5, higher is more urgent)</Label>
              <Input id="task-priority" type="number" min={1} max={5} value={priority} onChange={(e) => setPriority(Number(e.target.value))} />
            </div>
            <div className="flex flex-col gap-1">
              <Label htmlFor="task-tags">Tags (comma separated)</Label>
              <Input id="task-tags" value={tags} onChange={(e) => setTags(e.target.value)} />
            </div>
          </div>
          <Label htmlFor="task-assign">Assign</Label>
          <Select id="task-assign" value={assign} onChange={(e) => setAssign(e.target.value)}>
            <option value="">nobody: leave it for a worker to claim</option>
            <option value="auto">auto: the hub picks a capable online agent</option>
            {(agents.data ?? []).map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </Select>
          {open_.length > 0 && (
            <fieldset className="flex flex-col gap-1">
              <legend className="text-xs font-medium text-muted-foreground">Depends on</legend>
              <div className="flex max-h-32 flex-col gap-1 overflow-y-auto">
                {open_.map((t) => (
                  <label key={t.id} className="flex items-center gap-2 text-sm">
                    <input
                      type="checkbox"
                      checked={depends.includes(t.id)}
                      onChange={(e) => setDepends((d) => (e.target.checked ? [...d, t.id] : d.filter((x) => x !== t.id)))}
                    />
                    {t.title} <span className="text-xs text-muted-foreground">({LABEL[t.status]})</span>
                  </label>
                ))}
              </div>
            </fieldset>
          )}
          {create.isError && <ErrorState error={create.error} />}
          <Button type="submit" disabled={!title.trim() || create.isPending}>
            Create task
          </Button>
        </form>
      </DialogContent>
    </Dialog>
  );
}
