-- No query reads task assignments by agent, yet every new assignment paid for this index: one more entry per
-- claim, and about five more pages written per commit under a busy queue.
DROP INDEX task_assignments_agent;
