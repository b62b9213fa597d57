import type { UseQueryResult } from "@tanstack/react-query";
import { AlertTriangle, Inbox, PlugZap } from "lucide-react";
import type { ReactNode } from "react";

import { ApiError } from "../api/client";
import { Button } from "./ui/button";
import { Skeleton } from "./ui/skeleton";

export function Loading({ rows = 3, label = "Loading" }: { rows?: number; label?: string }) {
  return (
    <div role="status" aria-label={label} className="flex flex-col gap-2 p-2">
      {Array.from({ length: rows }, (_, i) => (
        <Skeleton key={i} className="h-8 w-full" />
      ))}
      <span className="sr-only">{label}…</span>
    </div>
  );
}

export function EmptyState({ title, children, icon }: { title: string; children?: ReactNode; icon?: ReactNode }) {
  return (
    <div className="flex flex-col items-center gap-2 rounded-lg border border-dashed border-border p-8 text-center">
      {icon ?? <Inbox className="size-6 text-muted-foreground" aria-hidden />}
      <p className="text-sm font-medium">{title}</p>
      {children && <div className="max-w-md text-sm text-muted-foreground">{children}</div>}
    </div>
  );
}

export function Unavailable({ feature }: { feature: string }) {
  return (
    <EmptyState title={`${feature} are not available on this hub`} icon={<PlugZap className="size-6 text-muted-foreground" aria-hidden />}>
      This hub does not offer the {feature.toLowerCase()} endpoints. Update agenthub to a version that has them, then
      reload this page.
    </EmptyState>
  );
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div role="alert" className="flex flex-col items-start gap-2 rounded-lg border border-red-200 bg-red-50 p-4 text-sm text-red-900">
      <div className="flex items-center gap-2 font-medium">
        <AlertTriangle className="size-4" aria-hidden /> Something went wrong
      </div>
      <p>{message}</p>
      {onRetry && (
        <Button size="sm" variant="outline" onClick={onRetry}>
          Try again
        </Button>
      )}
    </div>
  );
}

/** Loading, error, "not on this hub" and empty states around a list query. */
export function QueryView<T>({
  query,
  feature,
  empty,
  children,
  rows,
}: {
  query: UseQueryResult<T[]>;
  feature: string;
  empty: ReactNode;
  children: (data: T[]) => ReactNode;
  rows?: number;
}) {
  if (query.isPending) return <Loading rows={rows} label={`Loading ${feature.toLowerCase()}`} />;
  if (query.isError) {
    if (query.error instanceof ApiError && query.error.unavailable) return <Unavailable feature={feature} />;
    return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  }
  if (query.data.length === 0) return <>{empty}</>;
  return <>{children(query.data)}</>;
}
