import { ShieldAlert, ShieldCheck } from "lucide-react";
import { type FormEvent, useState } from "react";

import { ApiError } from "../api/client";
import { useAgentNames, useAgents, useAudit, useAuditVerification } from "../api/queries";
import { EmptyState, QueryView } from "../components/states";
import { Badge } from "../components/ui/badge";
import { Button } from "../components/ui/button";
import { Card } from "../components/ui/card";
import { Input, Label, Select } from "../components/ui/input";
import { Table, TBody, Td, Th, THead } from "../components/ui/table";
import { dateTime } from "../lib/utils";

function Verification() {
  const verify = useAuditVerification();
  if (verify.isPending) return <Badge variant="secondary">checking the chain…</Badge>;
  if (verify.isError) {
    const missing = verify.error instanceof ApiError && verify.error.unavailable;
    return <Badge variant="secondary">{missing ? "chain verification not available on this hub" : "could not verify the chain"}</Badge>;
  }
  const v = verify.data;
  return (
    <div
      role="status"
      data-verified={v.ok ? "ok" : "broken"}
      className={`flex items-start gap-2 rounded-lg border p-3 text-sm ${v.ok ? "border-green-200 bg-green-50 text-green-900" : "border-red-200 bg-red-50 text-red-900"}`}
    >
      {v.ok ? <ShieldCheck className="size-5 shrink-0" aria-hidden /> : <ShieldAlert className="size-5 shrink-0" aria-hidden />}
      <div>
        <p className="font-medium">{v.ok ? `Chain intact: ${v.entries} entries verified` : "Chain broken"}</p>
        <p>{v.message}</p>
      </div>
    </div>
  );
}

export function AuditView() {
  const agents = useAgents();
  const name = useAgentNames();
  const [actor, setActor] = useState("");
  const [action, setAction] = useState("");
  const [filters, setFilters] = useState<{ actor_id?: string; action?: string }>({});
  const audit = useAudit(filters);
  const apply = (event: FormEvent) => {
    event.preventDefault();
    setFilters({ ...(actor ? { actor_id: actor } : {}), ...(action.trim() ? { action: action.trim() } : {}) });
  };
  return (
    <div className="flex flex-col gap-4">
      <Verification />
      <form onSubmit={apply} className="flex flex-wrap items-end gap-2" aria-label="Filter the audit log">
        <div className="flex flex-col gap-1">
          <Label htmlFor="audit-actor">Actor</Label>
          <Select id="audit-actor" value={actor} onChange={(e) => setActor(e.target.value)}>
            <option value="">anyone</option>
            {(agents.data ?? []).map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </Select>
        </div>
        <div className="flex flex-col gap-1">
          <Label htmlFor="audit-action">Action</Label>
          <Input id="audit-action" placeholder="e.g. message.publish" value={action} onChange={(e) => setAction(e.target.value)} />
        </div>
        <Button type="submit" variant="outline">
          Filter
        </Button>
      </form>
      <QueryView
        query={audit}
        feature="Audit"
        empty={
          <EmptyState title="No audit entries match">
            Every state change is recorded here. Clear the filters to see everything.
          </EmptyState>
        }
      >
        {(list) => (
          <Card>
            <Table aria-label="Audit log">
              <THead>
                <tr>
                  <Th>#</Th>
                  <Th>When</Th>
                  <Th>Actor</Th>
                  <Th>Action</Th>
                  <Th className="hidden md:table-cell">Subject</Th>
                  <Th className="hidden lg:table-cell">Details</Th>
                </tr>
              </THead>
              <TBody>
                {[...list].reverse().map((e) => (
                  <tr key={e.id}>
                    <Td className="tabular-nums text-muted-foreground">{e.id}</Td>
                    <Td className="text-xs md:whitespace-nowrap md:text-sm">{dateTime(e.at)}</Td>
                    <Td className="break-words">{name(e.actor_id)}</Td>
                    <Td className="font-mono text-xs break-all">{e.action}</Td>
                    <Td className="hidden text-xs text-muted-foreground md:table-cell">
                      {e.subject_type} {e.subject_id ? e.subject_id.slice(0, 8) : ""}
                    </Td>
                    <Td className="hidden max-w-80 truncate font-mono text-xs text-muted-foreground lg:table-cell" title={JSON.stringify(e.details)}>
                      {Object.keys(e.details ?? {}).length > 0 ? JSON.stringify(e.details) : ""}
                    </Td>
                  </tr>
                ))}
              </TBody>
            </Table>
          </Card>
        )}
      </QueryView>
    </div>
  );
}
