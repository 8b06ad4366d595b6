"""`pdsync events status|replay|send` and config errors, through the real CLI group."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from pdsync.cli import main
from pdsync.events_dest.model import parse_event
from pdsync.events_dest.outbox import Outbox


def _outbox_with_one_dead_letter(path: Path) -> None:
    box = Outbox(path)
    box.insert([parse_event({"type": "track", "userId": "u", "event": "E", "messageId": "m1"})])
    box.insert([parse_event({"type": "identify", "userId": "v", "messageId": "m2"})])
    pending, _ = box.next_due(now=box.clock())
    assert pending is not None
    box.dead_letter(pending.seq, "No Pipedrive person has userId 'u' and create_users is off.")
    box.close()


def test_status_shows_depth_failures_and_reasons(tmp_path: Path) -> None:
    db = tmp_path / "o.db"
    _outbox_with_one_dead_letter(db)
    result = CliRunner().invoke(main, ["events", "status", "--outbox", str(db), "--dead"])
    assert result.exit_code == 0, result.output
    assert "pending     1" in result.output and "failed      1" in result.output
    assert "create_users is off" in result.output
    as_json = CliRunner().invoke(main, ["events", "status", "--outbox", str(db), "--json"])
    assert json.loads(as_json.output)["failed"] == 1


def test_replay_requeues_dead_letters(tmp_path: Path) -> None:
    db = tmp_path / "o.db"
    _outbox_with_one_dead_letter(db)
    result = CliRunner().invoke(main, ["events", "replay", "--outbox", str(db)])
    assert result.exit_code == 0 and "1 dead letter(s) queued again" in result.output
    box = Outbox(db)
    assert box.status().pending == 2 and box.status().dead == 0
    box.close()


def test_config_mistakes_are_one_line_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("write_key: k\nuser_id_feild: x\n")
    result = CliRunner().invoke(main, ["events", "status", "--config", str(bad)])
    assert result.exit_code == 2 and "user_id_feild" in result.output
    missing = CliRunner().invoke(main, ["events", "status", "--config", str(tmp_path / "no.yaml")])
    assert missing.exit_code == 2 and "not found" in missing.output


def test_serve_without_a_write_key_says_how_to_set_it(tmp_path: Path) -> None:
    cfg = tmp_path / "events.yaml"
    cfg.write_text(f"outbox: {tmp_path / 'o.db'}\n")
    env = {"PIPEDRIVE_API_TOKEN": "tok-123456789", "PIPEDRIVE_BASE_URL": "http://127.0.0.1:9"}
    result = CliRunner().invoke(main, ["events", "serve", "--config", str(cfg)], env=env)
    assert result.exit_code == 2 and "PDSYNC_EVENTS_WRITE_KEY" in result.output


def test_send_refuses_a_malformed_file_naming_the_line(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text('{"type": "identify", "userId": "a"}\n{"type": "page"}\n')
    env = {"PIPEDRIVE_API_TOKEN": "tok-123456789", "PIPEDRIVE_BASE_URL": "http://127.0.0.1:9"}
    args = ["events", "send", str(events), "--outbox", str(tmp_path / "o.db")]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 9 and "events.jsonl:2" in result.output
