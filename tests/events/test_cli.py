"""`pdsync events status|replay|send` and config errors, through the real CLI group."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from pdsync.cli import main
from pdsync.events_dest.model import parse_event
from pdsync.events_dest.outbox import Outbox

from .emulated import (
    USER_FIELD,
    client_for,
    create_fields,
    emulator,
    field_key,
    leads_of,
    persons_with,
)
from .process import write_config


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


def test_send_delivers_a_file_through_the_outbox_once(tmp_path: Path) -> None:
    with emulator() as srv:
        client = client_for(srv)
        create_fields(client)
        label = client.get("leadLabels", version="v1")["data"][0]["id"]
        lines = [
            {"type": "identify", "userId": "f-1", "messageId": "f-id", "traits": {"name": "Fay"}},
            {
                "type": "track",
                "userId": "f-1",
                "messageId": "f-tr",
                "event": "Trial Started",
                "properties": {"label_ids": [label], "amount": 50, "currency": "EUR"},
            },
        ]
        events = tmp_path / "events.jsonl"
        events.write_text("".join(json.dumps(line) + "\n" for line in lines))
        config = write_config(tmp_path, "wk-send-1")
        env = {"PIPEDRIVE_API_TOKEN": srv.config.token, "PIPEDRIVE_BASE_URL": srv.url}
        args = ["events", "send", str(events), "--config", str(config), "--wait", "30"]
        first = CliRunner().invoke(main, args, env=env)
        again = CliRunner().invoke(main, args, env=env)  # the same messageIds: no effect
        assert first.exit_code == 0, first.output
        assert again.exit_code == 0, again.output
        assert "delivered   2" in again.output and "oldest      —" in again.output
        user_key = field_key(client, "personFields", USER_FIELD)
        [person] = persons_with(client, user_key, "f-1")
        [lead] = leads_of(client, person["id"])
        assert lead["title"] == "Trial Started" and lead["label_ids"] == [label]
        assert lead["value"] == {"amount": 50, "currency": "EUR"}
        client.close()


def test_send_exits_9_when_events_end_as_dead_letters(tmp_path: Path) -> None:
    with emulator() as srv:
        client = client_for(srv)
        create_fields(client)
        # create_users is on in write_config, but a track with a non-ISO close date is
        # rejected permanently: it must not look like success.
        line = {
            "type": "track",
            "userId": "d-1",
            "messageId": "d-tr",
            "event": "Trial Started",
            "properties": {"expected_close_date": "next week"},
        }
        events = tmp_path / "events.jsonl"
        events.write_text(json.dumps(line) + "\n")
        config = write_config(tmp_path, "wk-send-2")
        env = {"PIPEDRIVE_API_TOKEN": srv.config.token, "PIPEDRIVE_BASE_URL": srv.url}
        args = ["events", "send", str(events), "--config", str(config), "--wait", "30"]
        result = CliRunner().invoke(main, args, env=env)
        client.close()
    assert result.exit_code == 9, result.output
    assert "1 event(s)" in result.output and "dead letters" in result.output
    assert "events status --dead" in result.output


def test_send_with_a_refused_token_stops_at_once_and_keeps_the_events(tmp_path: Path) -> None:
    with emulator() as srv:
        line = {"type": "identify", "userId": "t-1", "messageId": "t-id", "traits": {"name": "T"}}
        events = tmp_path / "events.jsonl"
        events.write_text(json.dumps(line) + "\n")
        config = write_config(tmp_path, "wk-send-3")
        env = {"PIPEDRIVE_API_TOKEN": "not-the-token-0000", "PIPEDRIVE_BASE_URL": srv.url}
        args = ["events", "send", str(events), "--config", str(config), "--wait", "600"]
        result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 4, result.output  # AuthError's exit code, not a 600 s wait
    assert "rejected the credentials" in result.output
    box = Outbox(tmp_path / "outbox.db")
    assert box.status().pending == 1 and box.dead_letters() == []
    box.close()
