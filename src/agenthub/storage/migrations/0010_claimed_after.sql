-- The task whose completion a claim came with (`POST /api/tasks/claim` with "complete"), kept with the lease it
-- granted: a repeat of that request, its answer lost, finds the task it claimed instead of claiming another.
ALTER TABLE tasks ADD COLUMN claimed_after TEXT;
