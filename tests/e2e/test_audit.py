"""The audit log against a real hub: entries for every coordination change, filters, decisions, export,
and `agenthub audit verify` catching rows edited or deleted in the SQLite file."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import orjson

from tests.hubproc import HubProcess


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agenthub", "audit", *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_every_coordination_change_is_audited(shared_hub: HubProcess, unique: str) -> None:
    agent, token = shared_hub.register(f"audited-{unique}")
    with shared_hub.client(token) as http, shared_hub.client() as op:
        http.post("/api/memory", json={"key": f"{unique}/k", "value": 1})
        http.delete(f"/api/memory/key/{unique}/k")
        lock = http.post("/api/locks", json={"resource": f"{unique}/f.py"}).json()
        http.post(f"/api/locks/{lock['id']}/renew")
        http.delete(f"/api/locks/{lock['id']}")
        thread = http.post("/api/threads", json={"title": "t", "content": "c"}).json()
        http.post(f"/api/threads/{thread['id']}/replies", json={"content": "r"})
        approval = http.post("/api/approvals", json={"action": "ship"}).json()
        op.post(f"/api/approvals/{approval['id']}/approve")
        logged = http.post(
            "/api/audit", json={"decision_type": "deployment", "context": "Backend v2.0", "reason": "tested"}
        )
        assert logged.status_code == 201
        entry = logged.json()
        assert (entry["actor_id"], entry["action"], entry["subject_id"]) == (
            agent["id"],
            "decision.logged",
            "deployment",
        )
        assert entry["details"] == {"decision_type": "deployment", "context": "Backend v2.0", "reason": "tested"}
        mine = http.get("/api/audit", params={"actor_id": agent["id"], "limit": 1000}).json()
        assert [e["action"] for e in mine] == [  # its registration was the operator's act, so not listed
            "memory.set",
            "memory.deleted",
            "lock.acquired",
            "lock.renewed",
            "lock.released",
            "thread.created",
            "thread.replied",
            "approval.requested",
            "decision.logged",
        ]
        [decided] = [
            e
            for e in op.get("/api/audit", params={"action": "approval.approved", "limit": 1000}).json()
            if e["subject_id"] == approval["id"]
        ]
        assert decided["actor_id"] is None  # the operator
        since = op.get("/api/audit", params={"since": entry["at"]}).json()
        assert since[0]["id"] == entry["id"]
        assert op.get("/api/audit", params={"since": "yesterday"}).status_code == 422
        ids = [e["id"] for e in op.get("/api/audit", params={"limit": 1000}).json()]
        assert ids == sorted(ids)
        assert op.get("/api/audit/verify").json()["ok"] is True


def test_export_streams_jsonl(shared_hub: HubProcess, unique: str) -> None:
    _, token = shared_hub.register(f"exporter-{unique}")
    with shared_hub.client(token) as http:
        http.post("/api/audit", json={"decision_type": unique, "context": "", "reason": ""})
        response = http.get("/api/audit/export")
        assert response.headers["content-type"].startswith("application/x-ndjson")
        lines = [orjson.loads(line) for line in response.content.splitlines()]
        assert [e["id"] for e in lines] == list(range(1, len(lines) + 1))
        assert unique in [e["subject_id"] for e in lines]
        only = http.get("/api/audit/export", params={"action": "decision.logged"}).content.splitlines()
        assert {orjson.loads(line)["action"] for line in only} == {"decision.logged"}


def _make_history(hub: HubProcess) -> None:
    _, token = hub.register("tamper-target")
    with hub.client(token) as http:
        for i in range(5):
            http.post("/api/memory", json={"key": f"k{i}", "value": i})
        http.post("/api/audit", json={"decision_type": "d", "context": "c", "reason": "r"})


def test_verify_names_a_row_edited_in_the_file(hub: HubProcess) -> None:
    _make_history(hub)
    with hub.client() as http:
        assert http.get("/api/audit/verify").json()["ok"] is True
    db = hub.data_dir / "agenthub.db"
    hub.stop()
    clean = _cli("verify", "--db", str(db))
    assert clean.returncode == 0, clean.stderr
    assert "intact" in clean.stdout
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE audit_log SET details = '{\"forged\":true}' WHERE id = 4")
    tampered = _cli("verify", "--db", str(db))
    assert tampered.returncode == 1
    assert "audit entry 4 was altered" in tampered.stdout
    hub.start()  # the hub answers the same over HTTP, and the CLI can ask it
    with hub.client() as http:
        result = http.get("/api/audit/verify").json()
    assert (result["ok"], result["first_bad_id"], result["problem"], result["entries"]) == (False, 4, "altered", 3)
    asked = subprocess.run(
        [sys.executable, "-m", "agenthub", "audit", "verify", "--url", hub.url, "--token", hub.token],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert asked.returncode == 1
    assert "audit entry 4 was altered" in asked.stdout


def test_verify_names_a_rewritten_and_a_deleted_row(hub: HubProcess) -> None:
    _make_history(hub)
    db = hub.data_dir / "agenthub.db"
    hub.stop()
    with sqlite3.connect(db) as conn:  # a careful forger recomputes the hash of the row it changed
        from agenthub.storage.sqlite_audit import entry_hash

        row = conn.execute(
            "SELECT prev_hash, at, actor_id, action, subject_type, subject_id FROM audit_log WHERE id = 3"
        ).fetchone()
        forged = entry_hash(row[0], row[1], row[2], "memory.forged", (row[4], row[5]), "{}")
        conn.execute("UPDATE audit_log SET action = 'memory.forged', details = '{}', hash = ? WHERE id = 3", (forged,))
    rewritten = _cli("verify", "--db", str(db))
    assert rewritten.returncode == 1
    assert "audit entry 3 was altered" in rewritten.stdout
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM audit_log WHERE id = 2")
    deleted = _cli("verify", "--db", str(db))
    assert deleted.returncode == 1
    assert "audit entry 2 was removed" in deleted.stdout


def test_verify_catches_the_last_row_deleted_and_cli_export(hub: HubProcess, tmp_path: Path) -> None:
    _make_history(hub)
    db = hub.data_dir / "agenthub.db"
    hub.stop()
    out = tmp_path / "audit.jsonl"
    exported = _cli("export", "--db", str(db), "--output", str(out))
    assert exported.returncode == 0, exported.stderr
    entries = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    last = entries[-1]["id"]
    assert last == len(entries)
    assert entries[-1]["action"] == "decision.logged"
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM audit_log WHERE id = ?", (last,))
    result = _cli("verify", "--db", str(db))
    assert result.returncode == 1
    assert f"audit entry {last} was removed" in result.stdout
    assert _cli("verify", "--db", str(tmp_path / "missing.db")).returncode != 0
