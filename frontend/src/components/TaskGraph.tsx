/** A task's dependency graph as SVG: layered left to right, dependencies before their dependents. */
import type { Task, TaskGraph as Graph } from "../api/types";

const W = 150;
const H = 44;
const GX = 60;
const GY = 16;

const FILL: Record<string, string> = {
  completed: "#dcfce7",
  failed: "#fee2e2",
  cancelled: "#f1f5f9",
  in_progress: "#dbeafe",
  assigned: "#e0e7ff",
  pending: "#fef9c3",
};

/** Nodes and `[dependency, dependent]` edges; without edges, they come from each task's `depends_on`. */
export function normalize(graph: Graph): { nodes: Task[]; edges: [string, string][] } {
  const nodes = graph.nodes ?? graph.tasks ?? [];
  const ids = new Set(nodes.map((n) => n.id));
  const edges: [string, string][] = [];
  if (graph.edges && graph.edges.length > 0) {
    for (const e of graph.edges) edges.push([e.depends_on, e.task_id]);
  } else {
    for (const n of nodes) for (const d of n.depends_on ?? []) if (ids.has(d)) edges.push([d, n.id]);
  }
  return { nodes, edges };
}

/** The graph around `root` from a task list: its dependencies and dependents, transitively. */
export function localGraph(root: Task, tasks: Task[]): Graph {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const seen = new Map<string, Task>([[root.id, root]]);
  const up = [root];
  while (up.length) {
    const t = up.pop();
    for (const d of t?.depends_on ?? []) {
      const dep = byId.get(d);
      if (dep && !seen.has(d)) {
        seen.set(d, dep);
        up.push(dep);
      }
    }
  }
  const down = [root];
  while (down.length) {
    const t = down.pop();
    for (const other of tasks) {
      if (t && other.depends_on?.includes(t.id) && !seen.has(other.id)) {
        seen.set(other.id, other);
        down.push(other);
      }
    }
  }
  return { nodes: [...seen.values()] };
}

export function TaskGraph({ graph, rootId }: { graph: Graph; rootId: string }) {
  const { nodes, edges } = normalize(graph);
  const depth = new Map<string, number>();
  const deps = new Map<string, string[]>();
  for (const [dependency, dependent] of edges) deps.set(dependent, [...(deps.get(dependent) ?? []), dependency]);
  const level = (id: string, guard: Set<string> = new Set()): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (guard.has(id)) return 0;
    guard.add(id);
    const value = Math.max(-1, ...(deps.get(id) ?? []).map((d) => level(d, guard))) + 1;
    depth.set(id, value);
    return value;
  };
  const columns: Task[][] = [];
  for (const n of nodes) (columns[level(n.id)] ??= []).push(n);
  const place = new Map<string, { x: number; y: number }>();
  columns.forEach((col, ci) => col.forEach((n, ri) => place.set(n.id, { x: ci * (W + GX) + 8, y: ri * (H + GY) + 8 })));
  const width = Math.max(1, columns.length) * (W + GX) - GX + 16;
  const height = Math.max(1, ...columns.map((c) => c.length)) * (H + GY) - GY + 16;
  if (nodes.length === 0) return <p className="text-sm text-muted-foreground">No dependencies.</p>;
  return (
    <svg
      role="img"
      aria-label={`Dependency graph: ${nodes.length} tasks, ${edges.length} dependencies`}
      viewBox={`0 0 ${width} ${height}`}
      width={width}
      height={height}
      className="max-w-full"
    >
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse">
          <path d="M 0 0 L 10 5 L 0 10 z" fill="#64748b" />
        </marker>
      </defs>
      {edges.map(([from, to]) => {
        const a = place.get(from);
        const b = place.get(to);
        if (!a || !b) return null;
        const x1 = a.x + W;
        const y1 = a.y + H / 2;
        const x2 = b.x;
        const y2 = b.y + H / 2;
        const mid = (x1 + x2) / 2;
        return (
          <path
            key={`${from}-${to}`}
            d={`M ${x1} ${y1} C ${mid} ${y1}, ${mid} ${y2}, ${x2 - 2} ${y2}`}
            fill="none"
            stroke="#64748b"
            strokeWidth={1.5}
            markerEnd="url(#arrow)"
          />
        );
      })}
      {nodes.map((n) => {
        const p = place.get(n.id);
        if (!p) return null;
        return (
          <g key={n.id} transform={`translate(${p.x} ${p.y})`}>
            <rect
              width={W}
              height={H}
              rx={6}
              fill={FILL[n.status] ?? "#fff"}
              stroke={n.id === rootId ? "#1e40af" : "#94a3b8"}
              strokeWidth={n.id === rootId ? 2 : 1}
            />
            <text x={8} y={18} fontSize={12} fontWeight={600} fill="#0f172a">
              {(n.status === "completed" ? "✓ " : "") + (n.title.length > 20 ? `${n.title.slice(0, 19)}…` : n.title)}
            </text>
            <text x={8} y={34} fontSize={10} fill="#475569">
              {n.status.replace("_", " ")}
            </text>
            <title>{`${n.title} (${n.status})`}</title>
          </g>
        );
      })}
    </svg>
  );
}
