from __future__ import annotations

import stat
from pathlib import Path

import pytest

from pdsync.config import Connection, config_dir, load_connection, load_settings, normalise_domain
from pdsync.connstore import ConnectionStore
from pdsync.errors import ConfigError


@pytest.mark.parametrize(
    "raw",
    [
        "acme",
        "acme.pipedrive.com",
        "https://acme.pipedrive.com",
        "https://ACME.pipedrive.com/deals",
        " acme ",
    ],
)
def test_company_domain_is_normalised(raw: str) -> None:
    assert normalise_domain(raw) == "acme"
    assert Connection(company_domain=raw).root_url() == "https://acme.pipedrive.com"


def test_a_foreign_host_as_domain_is_refused_with_a_hint() -> None:
    with pytest.raises(ConfigError) as info:
        normalise_domain("crm.example.com")
    assert "base URL" in info.value.hint


def test_base_url_accepts_plain_http_and_strips_api_suffix() -> None:
    assert (
        Connection(base_url="http://127.0.0.1:8765/api/v1/").root_url() == "http://127.0.0.1:8765"
    )
    with pytest.raises(ConfigError):
        Connection(base_url="ftp://x")


def test_precedence_flags_over_env_over_file_over_defaults(tmp_path: Path) -> None:
    ConnectionStore(tmp_path).set(
        "work",
        {
            "api_token": "file-token-1234",
            "company_domain": "filecorp",
            "base_url": "http://file.test",
        },
    )
    env = {"PIPEDRIVE_API_TOKEN": "env-token-1234", "PIPEDRIVE_COMPANY_DOMAIN": "envcorp"}
    settings = load_settings(
        flags={"company_domain": "flagcorp"}, env=env, name="work", config_dir=tmp_path
    )
    conn = settings.connection
    assert (conn.api_token, conn.company_domain, conn.base_url) == (
        "env-token-1234",
        "flagcorp",
        "http://file.test",
    )
    assert settings.source_of("company_domain") == "flag"
    assert settings.source_of("api_token") == "env PIPEDRIVE_API_TOKEN"
    assert settings.source_of("base_url").startswith("file ")
    assert settings.source_of("oauth_client_id") == "default"
    assert settings.source_of("timeout") == "default" and settings["timeout"] == 30.0


def test_pdsync_settings_from_env_and_file(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("timeout: 12\nmax_retries: 2\n")
    settings = load_settings(env={"PDSYNC_MAX_RETRIES": "7"}, config_dir=tmp_path)
    assert (
        settings["max_retries"] == 7
        and settings.source_of("max_retries") == "env PDSYNC_MAX_RETRIES"
    )
    assert settings["timeout"] == 12 and settings.source_of("timeout").startswith("file ")
    with pytest.raises(ConfigError):
        load_settings(env={"PDSYNC_TIMEOUT": "soon"}, config_dir=tmp_path)


def test_connection_from_an_env_var_holding_yaml_or_json(tmp_path: Path) -> None:
    env = {"PIPEDRIVE": "{api_token: yaml-token-1234, domain: https://acme.pipedrive.com}"}
    conn = load_connection(env=env, name="pipedrive", config_dir=tmp_path)
    assert conn.api_token == "yaml-token-1234" and conn.company_domain == "acme"
    env = {"STAGING": '{"token": "json-token-1234", "url": "http://127.0.0.1:9"}'}
    conn = load_connection(env=env, name="STAGING", config_dir=tmp_path)
    assert conn.base_url == "http://127.0.0.1:9"


def test_unknown_keys_and_names_give_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Unknown connection key"):
        load_connection(env={"X": "{api_tokn: abc}"}, name="X", config_dir=tmp_path)
    with pytest.raises(ConfigError) as info:
        load_connection(env={}, name="nope", config_dir=tmp_path)
    assert "pdsync conns set nope" in info.value.hint


def test_connections_file_is_private_and_round_trips(tmp_path: Path) -> None:
    store = ConnectionStore(tmp_path / "cfg")
    store.set("prod", {"api_token": "prod-token-1234", "company_domain": "acme.pipedrive.com"})
    store.set("prod", {"base_url": "http://127.0.0.1:1"})  # updates, keeps the token
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    [saved] = store.file_connections()
    assert saved.values == {
        "api_token": "prod-token-1234",
        "company_domain": "acme",
        "base_url": "http://127.0.0.1:1",
    }
    store.update_refresh_token("prod", "rotated-refresh-1")
    assert store.file_connections()[0].values["oauth_refresh_token"] == "rotated-refresh-1"
    store.remove("prod")
    assert store.file_connections() == []
    with pytest.raises(ConfigError):
        store.remove("prod")


def test_missing_credentials_list_every_place_checked(tmp_path: Path) -> None:
    conn = load_connection(env={}, config_dir=tmp_path)
    with pytest.raises(ConfigError) as info:
        conn.require_credentials()
    assert "PIPEDRIVE_API_TOKEN" in info.value.hint and "connections.yaml" in info.value.hint


def test_config_dir_honours_override_and_xdg() -> None:
    assert config_dir({"PDSYNC_CONFIG_DIR": "/x/y"}) == Path("/x/y")
    assert config_dir({"XDG_CONFIG_HOME": "/xdg"}) == Path("/xdg/pdsync")


def test_default_root_is_api_pipedrive_com() -> None:
    assert Connection(api_token="abcdefgh").root_url() == "https://api.pipedrive.com"
