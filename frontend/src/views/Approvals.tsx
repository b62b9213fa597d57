import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Check, X } from "lucide-react";
import { useState } from "react";

import { api, unwrap } from "../api/client";
import { useAgentNames, useApprovals } from "../api/queries";
import type { Approval, ApprovalStatus } from "../api/types";
import { EmptyState, ErrorState, QueryView } from "../components/states";
import { Badge, type BadgeProps } from "../components/ui/badge";
import { Button } from "../components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "../components/ui/card";
import { Input } from "../components/ui/input";
import { ago, dateTime, pretty } from "../lib/utils";

const VARIANT: Record<ApprovalStatus, BadgeProps["variant"]> = {
  pending: "warning",
  approved: "success",
  denied: "destructive",
  expired: "secondary",
};

export function ApprovalsView() {
  const approvals = useApprovals();
  return (
    <QueryView
      query={approvals}
      feature="Approvals"
      empty={
        <EmptyState title="No approval requests">
          When an agent asks before a risky action (<code>POST /api/approvals</code>), the request shows here with
          buttons to approve or deny it; the agent waiting on it goes on at once.
        </EmptyState>
      }
    >
      {(list) => {
        const pending = list.filter((a) => a.status === "pending");
        const decided = list.filter((a) => a.status !== "pending").reverse();
        return (
          <div className="flex flex-col gap-6">
            <section aria-label="Waiting for a decision" className="flex flex-col gap-3">
              <h2 className="text-sm font-semibold">Waiting for a decision ({pending.length})</h2>
              {pending.length === 0 ? (
                <p className="text-sm text-muted-foreground">Nothing is waiting for you.</p>
              ) : (
                pending.map((a) => <ApprovalCard key={a.id} approval={a} />)
              )}
            </section>
            {decided.length > 0 && (
              <section aria-label="Decided" className="flex flex-col gap-3">
                <h2 className="text-sm font-semibold">Decided</h2>
                {decided.map((a) => (
                  <ApprovalCard key={a.id} approval={a} />
                ))}
              </section>
            )}
          </div>
        );
      }}
    </QueryView>
  );
}

function ApprovalCard({ approval }: { approval: Approval }) {
  const name = useAgentNames();
  const client = useQueryClient();
  const [reason, setReason] = useState("");
  const decide = useMutation({
    mutationFn: (verdict: "approve" | "deny") =>
      unwrap<Approval>(
        verdict === "approve"
          ? api.POST("/api/approvals/{approval_id}/approve", { params: { path: { approval_id: approval.id } }, body: { reason: reason || null } })
          : api.POST("/api/approvals/{approval_id}/deny", { params: { path: { approval_id: approval.id } }, body: { reason: reason || null } }),
      ),
    onSuccess: () => void client.invalidateQueries({ queryKey: ["approvals"] }),
  });
  const hasDetails = Object.keys(approval.details ?? {}).length > 0;
  return (
    <Card data-testid="approval" data-action={approval.action} data-status={approval.status}>
      <CardHeader>
        <CardTitle className="flex flex-wrap items-center gap-2">
          {approval.action} <Badge variant={VARIANT[approval.status]}>{approval.status}</Badge>
        </CardTitle>
        <p className="text-xs text-muted-foreground">
          asked by {name(approval.requester_id)} {ago(approval.created_at)}
          {approval.status === "pending"
            ? ` · lapses ${ago(approval.expires_at)}`
            : approval.decided_at
              ? ` · ${approval.status} by ${name(approval.decided_by)} at ${dateTime(approval.decided_at)}`
              : ""}
        </p>
      </CardHeader>
      <CardContent className="flex flex-col gap-3">
        {hasDetails && <pre className="max-h-48 overflow-auto rounded bg-muted p-2 text-xs">{pretty(approval.details)}</pre>}
        {approval.reason && <p className="text-sm">Reason: {approval.reason}</p>}
        {approval.status === "pending" && (
          <div className="flex flex-col gap-2 sm:flex-row">
            <Input aria-label="Reason (optional)" placeholder="reason (optional)" value={reason} onChange={(e) => setReason(e.target.value)} />
            <div className="flex gap-2">
              <Button variant="success" disabled={decide.isPending} onClick={() => decide.mutate("approve")}>
                <Check aria-hidden /> Approve
              </Button>
              <Button variant="destructive" disabled={decide.isPending} onClick={() => decide.mutate("deny")}>
                <X aria-hidden /> Deny
              </Button>
            </div>
          </div>
        )}
        {decide.isError && <ErrorState error={decide.error} />}
      </CardContent>
    </Card>
  );
}
