import { useLocks } from "../api/queries";
import { EmptyState, QueryView } from "../components/states";
import { Badge } from "../components/ui/badge";
import { Card } from "../components/ui/card";
import { Table, TBody, Td, Th, THead } from "../components/ui/table";
import { useAgentNames } from "../api/queries";
import { ago, dateTime } from "../lib/utils";

export function LocksView() {
  const locks = useLocks();
  const name = useAgentNames();
  return (
    <QueryView
      query={locks}
      feature="Locks"
      empty={
        <EmptyState title="No locks are held">
          Agents take advisory locks on files or globs (<code>POST /api/locks</code>) before editing them; held locks
          show here with their holder and when they lapse.
        </EmptyState>
      }
    >
      {(list) => (
        <Card>
          <Table aria-label="Locks">
            <THead>
              <tr>
                <Th>Resource</Th>
                <Th>Mode</Th>
                <Th>Holder</Th>
                <Th className="hidden md:table-cell">Intent</Th>
                <Th>Lapses</Th>
              </tr>
            </THead>
            <TBody>
              {list.map((lock) => (
                <tr key={lock.id}>
                  <Td className="font-mono text-xs break-all">{lock.resource}</Td>
                  <Td>
                    <Badge variant={lock.mode === "exclusive" ? "warning" : "info"}>{lock.mode}</Badge>
                  </Td>
                  <Td>{lock.holder_name ?? name(lock.holder_id)}</Td>
                  <Td className="hidden text-muted-foreground md:table-cell">{lock.intent ?? ""}</Td>
                  <Td className="whitespace-nowrap" title={dateTime(lock.expires_at)}>
                    {ago(lock.expires_at)}
                  </Td>
                </tr>
              ))}
            </TBody>
          </Table>
        </Card>
      )}
    </QueryView>
  );
}
