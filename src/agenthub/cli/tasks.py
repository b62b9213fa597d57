"""Task commands of seed 003: `tasks`, `task create|show|claim|start|reject|heartbeat|complete|fail|cancel`.

An agent's lease tokens (from `task claim` / `task start`) are kept in `<data dir>/agents/<NAME>.leases.json`
(0600) between commands, so `task complete` and `task fail` present the lease they belong to: a worker whose
lease lapsed and was taken over gets a conflict instead of recording its result over another attempt's.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

import typer

from agenthub.cli import context, output
from agenthub.cli.app import app
from agenthub.cli.context import JsonFlag

if TYPE_CHECKING:
    from rich.table import Table

    from agenthub.client import Client
    from agenthub.models import Task

EXIT_NOTHING = 3

task_app = typer.Typer(help="Create, claim and finish tasks.", no_args_is_help=True)
app.add_typer(task_app, name="task")

TaskRef = Annotated[str, typer.Argument(help="the task's id (or the start of it, as tables show)")]


@contextlib.contextmanager
def task_client() -> Iterator[Client]:
    """A client whose lease book is loaded from, and saved back to, the agent's lease file."""
    opts = context.current()
    with context.client() as client:
        if opts.agent is None:
            yield client
            return
        path = opts.token_path(opts.agent).with_suffix(".leases.json")
        book = client._task_calls.book
        with contextlib.suppress(OSError, ValueError):
            book.tokens.update({str(k): str(v) for k, v in json.loads(path.read_text()).items()})
        before = dict(book.tokens)
        try:
            yield client
        finally:
            if book.tokens != before:
                _save(path, book.tokens)


def _save(path: os.PathLike[str], tokens: dict[str, str]) -> None:
    tmp = f"{os.fspath(path)}.{os.getpid()}"
    with contextlib.suppress(OSError):
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as file:
            json.dump(tokens, file)
        os.replace(tmp, path)


def resolve_task(client: Client, ref: str) -> str:
    if len(ref) >= 32:
        return ref
    return context.resolve_id(ref, (task.id for task in client.list_tasks()), "task")


def status_mark(task: Task) -> str:
    return {"completed": output.CHECK, "failed": "✗", "cancelled": "—"}.get(task.status.value, "")


def task_table(tasks: list[Task], names: output.Names) -> Table:
    result = output.table("", "id", "title", "status", "pri", "assignee", "tags", "attempts", "created")
    for task in tasks:
        result.add_row(
            status_mark(task),
            output.short(task.id),
            output.escape(task.title),
            task.status.value,
            str(task.priority),
            names(task.assignee_id) if task.assignee_id else "",
            ", ".join(task.tags),
            f"{task.attempts}/{task.max_attempts}",
            output.when(task.created_at),
        )
    return result


def show_task(task: Task, names: output.Names, verb: str) -> None:
    mark = f"{status_mark(task)} " if status_mark(task) else ""
    holder = f" by {names(task.assignee_id)}" if task.assignee_id else ""
    output.say(f"{mark}{verb} task {task.id} {task.title!r}: {task.status.value}{holder}")


@app.command()
def tasks(
    status: Annotated[
        str | None,
        typer.Option(help="pending, assigned, in_progress, completed, failed or cancelled", show_default=False),
    ] = None,
    assignee: Annotated[str | None, typer.Option(help="only tasks of this agent (name or id)")] = None,
    tag: Annotated[str | None, typer.Option(help="only tasks with this tag")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="at most this many, the newest")] = 50,
    json_out: JsonFlag = False,
) -> None:
    """List tasks, newest last (✓ completed, ✗ failed, — cancelled)."""
    with context.client() as client:
        assignee_id = client.get_agent(assignee).id if assignee else None
        found = client.list_tasks(status=status, assignee_id=assignee_id, tag=tag)[-limit:]
        if json_out:
            output.print_json(found)
            return
        output.show(task_table(found, output.Names(client)) if found else "no tasks")


@task_app.command("create")
def create(
    title: Annotated[str, typer.Argument(help="what to do")],
    description: Annotated[str, typer.Option("--description", "-d", help="details")] = "",
    priority: Annotated[int, typer.Option(min=1, max=5, help="1-5, higher is more urgent")] = 2,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="a tag (repeatable)", show_default=False)] = None,
    depends_on: Annotated[
        list[str] | None, typer.Option("--depends-on", help="a task id it waits for (repeatable)", show_default=False)
    ] = None,
    require: Annotated[
        list[str] | None,
        typer.Option("--require", help="a capability the assignee needs (repeatable)", show_default=False),
    ] = None,
    assign: Annotated[str | None, typer.Option(help='an agent name or id, or "auto"', show_default=False)] = None,
    max_attempts: Annotated[int, typer.Option(min=1, max=1000, help="attempts before it fails for good")] = 3,
    idempotency_key: Annotated[
        str | None, typer.Option(help="repeat-safe: the same key returns the unfinished task", show_default=False)
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Create a task (in the queue, or assigned with --assign)."""
    with task_client() as client:
        task = client.create_task(
            title,
            description=description,
            priority=priority,
            tags=list(tag or []),
            depends_on=[resolve_task(client, ref) for ref in depends_on or []],
            requirements={"capabilities": list(require)} if require else {},
            assign_to=assign,
            max_attempts=max_attempts,
            idempotency_key=idempotency_key,
        )
        if json_out:
            output.print_json(task)
        else:
            show_task(task, output.Names(client), "created")


@task_app.command("show")
def show(ref: TaskRef, json_out: JsonFlag = False) -> None:
    """A task's details and its assignments."""
    with context.client() as client:
        task = client.get_task(resolve_task(client, ref))
        assignments = client.task_assignments(task.id)
        if json_out:
            output.print_json({"task": task, "assignments": assignments})
            return
        names = output.Names(client)
        result = output.table("", "", title=f"{status_mark(task)} {task.title}".strip())
        result.show_header = False
        for key, value in [
            ("id", task.id),
            ("status", task.status.value),
            ("priority", str(task.priority)),
            ("creator", names(task.creator_id)),
            ("assignee", names(task.assignee_id) if task.assignee_id else ""),
            ("tags", ", ".join(task.tags)),
            ("depends on", ", ".join(task.depends_on)),
            ("attempts", f"{task.attempts}/{task.max_attempts}"),
            ("lease until", output.when(task.lease_expires_at)),
            ("result", "" if task.result is None else json.dumps(task.result)),
            ("error", task.error or ""),
            ("created", output.when(task.created_at)),
            ("completed", output.when(task.completed_at)),
            ("description", task.description),
        ]:
            result.add_row(key, output.escape(value))
        for assignment in assignments:
            result.add_row("assignment", f"{names(assignment.agent_id)}: {assignment.status.value}")
        output.show(result)


@task_app.command("claim")
def claim(
    tag: Annotated[list[str] | None, typer.Option("--tag", help="only a task with this tag (repeatable)")] = None,
    lease: Annotated[float | None, typer.Option(min=1, help="lease seconds [default: the hub's, 300]")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Take the most urgent ready task (exit 3 when none is ready). Needs --agent."""
    context.require_agent()
    with task_client() as client:
        task = client.claim_task(tags=list(tag) if tag else None, lease_seconds=lease)
        _claimed(client, task, json_out)
    if task is None:
        raise typer.Exit(EXIT_NOTHING)


@task_app.command("start")
def start(
    ref: TaskRef,
    lease: Annotated[float | None, typer.Option(min=1, help="lease seconds")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Accept a task assigned to --agent and take its lease."""
    context.require_agent()
    with task_client() as client:
        task = client.start_task(resolve_task(client, ref), lease_seconds=lease)
        _done(client, task, "started", json_out)


@task_app.command("reject")
def reject(
    ref: TaskRef,
    reason: Annotated[str | None, typer.Option(help="why, for the record", show_default=False)] = None,
    json_out: JsonFlag = False,
) -> None:
    """Decline a task assigned to --agent that it has not started (it goes back to the queue)."""
    context.require_agent()
    with task_client() as client:
        task = client.reject_task(resolve_task(client, ref), reason)
        _done(client, task, "rejected", json_out)


@task_app.command("heartbeat")
def heartbeat(
    ref: TaskRef,
    lease: Annotated[float | None, typer.Option(min=1, help="new lease seconds")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Extend --agent's lease on a task it holds."""
    context.require_agent()
    with task_client() as client:
        task = client.heartbeat_task(resolve_task(client, ref), lease_seconds=lease)
        _done(client, task, "extended the lease on", json_out)


@task_app.command("complete")
def complete(
    ref: TaskRef,
    result: Annotated[
        str | None, typer.Option(help="the result: JSON if it parses as JSON, else text", show_default=False)
    ] = None,
    claim_next: Annotated[
        bool,
        typer.Option("--claim-next", help="also claim --agent's next ready task, in the same step (exit 3 if none)"),
    ] = False,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="with --claim-next: only a task with this tag")] = None,
    lease: Annotated[float | None, typer.Option(min=1, help="with --claim-next: lease seconds")] = None,
    json_out: JsonFlag = False,
) -> None:
    """Record a task's result (the holder, with its lease; or the operator). With --claim-next, --agent's next
    ready task is claimed in the same step and shown (--json: that task, or null)."""
    if claim_next:
        context.require_agent()
    with task_client() as client:
        value = None if result is None else context.parse_value(result)
        task_id = resolve_task(client, ref)
        if not claim_next:
            _done(client, client.complete_task(task_id, value), "completed", json_out)
            return
        following = client.complete_and_claim(task_id, value, list(tag) if tag else None, lease)
        if not json_out:
            output.say(f"completed {task_id}")
        _claimed(client, following, json_out)
    if following is None:
        raise typer.Exit(EXIT_NOTHING)


@task_app.command("fail")
def fail(
    ref: TaskRef,
    error: Annotated[str, typer.Option(help="what went wrong")],
    retry: Annotated[bool, typer.Option("--retry", help="requeue it while attempts remain")] = False,
    json_out: JsonFlag = False,
) -> None:
    """Record a task's failure (the holder, with its lease; or the operator)."""
    with task_client() as client:
        task = client.fail_task(resolve_task(client, ref), error, retry=retry)
        _done(client, task, "failed", json_out)


@task_app.command("cancel")
def cancel(ref: TaskRef, json_out: JsonFlag = False) -> None:
    """Cancel a task (its creator or the operator); tasks depending on it fail."""
    with task_client() as client:
        task = client.cancel_task(resolve_task(client, ref))
        _done(client, task, "cancelled", json_out)


def _claimed(client: Client, task: Task | None, json_out: bool) -> None:
    """Show what a claim took: the task, or that none is ready (with --json: the task, or null)."""
    if json_out:
        output.print_json(task)
    elif task is None:
        output.say("no task is ready")
    else:
        show_task(task, output.Names(client), "claimed")


def _done(client: Client, task: Task, verb: str, json_out: bool) -> None:
    if json_out:
        output.print_json(task)
    else:
        show_task(task, output.Names(client), verb)
