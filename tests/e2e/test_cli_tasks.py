"""The installed `agenthub` CLI's task commands (seed 003) against a live hub."""

from __future__ import annotations

import json
import stat
import time

from tests.e2e.clihelp import cli, ok, ok_json
from tests.hubproc import HubProcess


def test_task_lifecycle_create_claim_complete_with_the_lease_kept_between_commands(
    shared_hub: HubProcess, unique: str
) -> None:
    tag, worker = f"tag-{unique}", f"worker-{unique}"
    created = ok_json(shared_hub, "task", "create", "Implement auth", "--tag", tag, "--priority", "4", "-d", "JWT")
    assert (created["title"], created["status"], created["priority"], created["tags"]) == (
        "Implement auth",
        "pending",
        4,
        [tag],
    )
    assert created["description"] == "JWT" and created["creator_id"] is None
    assert [t["id"] for t in ok_json(shared_hub, "tasks", "--tag", tag)] == [created["id"]]

    claimed = ok_json(shared_hub, "--agent", worker, "task", "claim", "--tag", tag)
    me = ok_json(shared_hub, "--agent", worker, "whoami")["agent"]
    assert claimed["id"] == created["id"] and claimed["assignee_id"] == me["id"]
    assert claimed["status"] == "in_progress" and claimed["lease_token"]
    leases = shared_hub.data_dir / "agents" / f"{worker}.leases.json"
    assert json.loads(leases.read_text()) == {created["id"]: claimed["lease_token"]}
    assert stat.S_IMODE(leases.stat().st_mode) == 0o600

    beat = ok_json(shared_hub, "--agent", worker, "task", "heartbeat", created["id"][:8])
    assert beat["lease_expires_at"] >= claimed["lease_expires_at"]
    done = ok_json(shared_hub, "--agent", worker, "task", "complete", created["id"][:8], "--result", '{"pr": 12}')
    assert (done["status"], done["result"], done["lease_token"]) == ("completed", {"pr": 12}, None)
    assert json.loads(leases.read_text()) == {}

    [row] = [line for line in ok(shared_hub, "tasks", "--tag", tag).out.splitlines() if "Implement auth" in line]
    assert row.lstrip().startswith("✓") and "completed" in row and worker in row
    assert [t["id"] for t in ok_json(shared_hub, "tasks", "--status", "completed", "--assignee", worker)] == [
        created["id"]
    ]
    shown = ok_json(shared_hub, "task", "show", created["id"])
    assert shown["task"]["status"] == "completed"
    assert [(a["agent_id"], a["status"]) for a in shown["assignments"]] == [(me["id"], "completed")]


def test_complete_with_claim_next_hands_over_the_next_task(shared_hub: HubProcess, unique: str) -> None:
    tag, worker = f"next-{unique}", f"chain-{unique}"
    first = ok_json(shared_hub, "task", "create", "first", "--tag", tag, "--priority", "5")
    second = ok_json(shared_hub, "task", "create", "second", "--tag", tag)
    assert ok_json(shared_hub, "--agent", worker, "task", "claim", "--tag", tag)["id"] == first["id"]
    following = ok_json(
        shared_hub, "--agent", worker, "task", "complete", first["id"], "--result", "one", "--claim-next", "--tag", tag
    )
    assert (following["id"], following["status"]) == (second["id"], "in_progress")
    leases = json.loads((shared_hub.data_dir / "agents" / f"{worker}.leases.json").read_text())
    assert leases == {second["id"]: following["lease_token"]}
    assert ok_json(shared_hub, "task", "show", first["id"])["task"]["result"] == "one"
    last = cli(shared_hub, "--agent", worker, "task", "complete", second["id"][:8], "--claim-next", "--tag", tag)
    assert last.code == 3 and last.out.splitlines() == [f"completed {second['id']}", "no task is ready"]
    assert ok_json(shared_hub, "task", "show", second["id"])["task"]["status"] == "completed"
    operator = cli(shared_hub, "task", "complete", second["id"], "--claim-next")
    assert operator.code != 0 and operator.err.strip().count("\n") == 0 and "--agent" in operator.err


def test_claim_with_nothing_ready_exits_3(shared_hub: HubProcess, unique: str) -> None:
    result = cli(shared_hub, "--agent", f"idle-{unique}", "task", "claim", "--tag", f"none-{unique}", "--json")
    assert (result.code, result.json(), result.err) == (3, None, "")
    assert cli(shared_hub, "--agent", f"idle-{unique}", "task", "claim", "--tag", f"none-{unique}").out.strip() == (
        "no task is ready"
    )


def test_fail_with_retry_requeues_and_cancel_marks_the_table(shared_hub: HubProcess, unique: str) -> None:
    tag, worker = f"retry-{unique}", f"flaky-{unique}"
    task = ok_json(shared_hub, "task", "create", "Flaky job", "--tag", tag)
    ok(shared_hub, "--agent", worker, "task", "claim", "--tag", tag)
    failed = ok_json(shared_hub, "--agent", worker, "task", "fail", task["id"], "--error", "tests red", "--retry")
    assert (failed["status"], failed["attempts"], failed["error"], failed["assignee_id"]) == (
        "pending",
        1,
        "tests red",
        None,
    )
    cancelled = ok_json(shared_hub, "task", "cancel", task["id"])
    assert cancelled["status"] == "cancelled"
    [row] = [line for line in ok(shared_hub, "tasks", "--tag", tag).out.splitlines() if "Flaky job" in line]
    assert row.lstrip().startswith("—")

    late = cli(shared_hub, "task", "complete", task["id"], "--result", "done anyway")
    assert late.code == 1 and late.out == "" and len(late.err_lines) == 1 and "[task_finished]" in late.err


def test_an_unknown_task_prefix_is_one_line(shared_hub: HubProcess) -> None:
    result = cli(shared_hub, "task", "show", "zzzzzzzz")
    assert (result.code, result.out) == (1, "")
    assert result.err_lines == ["agenthub: no task has an id starting with 'zzzzzzzz'"]


def test_an_assigned_task_is_started_or_rejected_by_its_assignee(shared_hub: HubProcess, unique: str) -> None:
    worker = f"assignee-{unique}"
    me = ok_json(shared_hub, "--agent", worker, "whoami")["agent"]["id"]
    first = ok_json(shared_hub, "task", "create", "Review PR 12", "--assign", worker)
    second = ok_json(shared_hub, "task", "create", "Review PR 13", "--assign", worker)
    assert (first["status"], first["assignee_id"]) == ("assigned", me)
    mine = ok_json(shared_hub, "tasks", "--assignee", worker, "--status", "assigned")
    assert {t["id"] for t in mine} == {first["id"], second["id"]}

    started = ok_json(shared_hub, "--agent", worker, "task", "start", first["id"])
    assert (started["status"], started["assignee_id"]) == ("in_progress", me) and started["lease_token"]
    rejected = ok_json(shared_hub, "--agent", worker, "task", "reject", second["id"], "--reason", "busy")
    assert (rejected["status"], rejected["assignee_id"]) == ("pending", None)
    done = ok_json(shared_hub, "--agent", worker, "task", "complete", first["id"], "--result", "approved")
    assert (done["status"], done["result"]) == ("completed", "approved")


def test_a_worker_whose_lease_lapsed_cannot_record_over_the_next_attempt(shared_hub: HubProcess, unique: str) -> None:
    tag, slow, fast = f"lapse-{unique}", f"slow-{unique}", f"fast-{unique}"
    task = ok_json(shared_hub, "task", "create", "Short lease", "--tag", tag)
    ok(shared_hub, "--agent", slow, "task", "claim", "--tag", tag, "--lease", "1")
    deadline = time.monotonic() + 60
    while ok_json(shared_hub, "task", "show", task["id"])["task"]["status"] != "pending":  # the reaper takes it back
        assert time.monotonic() < deadline, "the lapsed lease was never reaped"
    taken = ok_json(shared_hub, "--agent", fast, "task", "claim", "--tag", tag)
    assert taken["id"] == task["id"] and taken["attempts"] == 1

    stale = cli(shared_hub, "--agent", slow, "task", "complete", task["id"], "--result", "late")
    assert stale.code == 1 and stale.out == "" and len(stale.err_lines) == 1 and "[lease_lost]" in stale.err
    done = ok_json(shared_hub, "--agent", fast, "task", "complete", task["id"], "--result", "on time")
    assert (done["status"], done["result"]) == ("completed", "on time")
