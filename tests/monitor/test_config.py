"""Config files with mistakes give every problem with its location; env overrides; secrets."""

import os
from pathlib import Path

import pytest

from collectors import REGISTRY, transport
from monitor import config, sample
from monitor.core.errors import ConfigError

CONFIGS = Path(__file__).parent / "data" / "configs"


@pytest.mark.parametrize("name", sorted(p.stem for p in CONFIGS.glob("*.toml")))
def test_bad_config_reports_every_problem(name: str) -> None:
    expected = (CONFIGS / f"{name}.expected").read_text(encoding="utf-8").splitlines()
    with pytest.raises(ConfigError) as err:
        config.load(CONFIGS / f"{name}.toml")
    assert err.value.problems == expected


def test_no_file_monitors_this_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config, "DEFAULT_PATH", Path("/nonexistent/roomwatch.toml"))
    settings, chosen = config.load(None)
    assert chosen is None
    [dev] = settings.devices
    assert dev.transport == "local" and dev.kind == "server"
    assert settings.rules.packs == ["regulation", "posture"]


def test_environment_overrides_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "r.toml"
    path.write_text('state_dir = "/from/file"\n[log]\nlevel = "info"\n')
    monkeypatch.setenv("ROOMWATCH_STATE_DIR", str(tmp_path / "from-env"))
    monkeypatch.setenv("ROOMWATCH_LOG__LEVEL", "debug")
    settings, _ = config.load(path)
    assert settings.state_dir == tmp_path / "from-env"
    assert settings.log.level == "debug"


def test_secrets_from_env_and_file_are_never_printed(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "creds").mkdir()
    (tmp_path / "creds" / "im").write_text("dingtalk://file-secret-123/\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path / "creds"))
    monkeypatch.setenv("DUTY_URL", "json://u:env-secret-456@127.0.0.1:1/")
    path = tmp_path / "r.toml"
    path.write_text('[notify]\nurls = ["env:DUTY_URL", "file:im", "json://literal-secret-789@h/"]\n')
    settings, _ = config.load(path)
    values = [u.get_secret_value() for u in settings.notify.urls]
    assert values == ["json://u:env-secret-456@127.0.0.1:1/", "dingtalk://file-secret-123/",
                      "json://literal-secret-789@h/"]
    shown = repr(settings) + str(settings.model_dump()) + settings.model_dump_json()
    for secret in ("env-secret-456", "file-secret-123", "literal-secret-789"):
        assert secret not in shown


def test_missing_secret_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text(f'[notify]\nurls = ["file:{tmp_path}/nope"]\n')
    with pytest.raises(ConfigError) as err:
        config.load(path)
    assert err.value.problems == [
        f"r.toml: notify.urls[0]: cannot read secret file {tmp_path}/nope: No such file or directory"]


def test_sample_is_valid_and_covers_every_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROOMWATCH_DUTY_URL", "json://127.0.0.1:1/")
    monkeypatch.setenv("ROOMWATCH_WINRM_PASSWORD", "sample-only")  # the winrm sample's password
    path = tmp_path / "roomwatch.toml"
    path.write_text(sample.render(), encoding="utf-8")
    settings, _ = config.load(path)
    assert len(settings.devices) == 13  # the transports' 11, and posture's Linux and Windows servers
    assert {d.transport for d in settings.devices} == set(REGISTRY)
    assert _missing(sample.render(), config.Settings) == []


@pytest.mark.parametrize("name", list(REGISTRY))
def test_each_transport_sample_shows_each_of_its_options(name: str) -> None:
    plugin = transport(name)
    assert _missing(plugin.sample, plugin.options) == []
    assert plugin.sample in sample.render()


@pytest.mark.parametrize("name", [n for n in REGISTRY if transport(n).section is not None])
def test_a_transport_section_is_a_config_table_by_registration_alone(
        name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The Section a transport exports is its top-level table: validated (a typo is named with
    # its table), shown in the sample, and handed to its collectors through Shared.
    plugin = transport(name)
    assert plugin.section is not None
    assert config.Settings.model_fields[name].annotation is plugin.section
    assert _missing(plugin.sample, plugin.section) == []
    path = tmp_path / "roomwatch.toml"
    path.write_text(f"[{name}]\nno_such_option = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        config.load(path)
    assert any(name in p and "no_such_option" in p for p in err.value.problems)
    monkeypatch.setenv("ROOMWATCH_STATE_DIR", str(tmp_path))
    settings = config.Settings()
    assert isinstance(settings.sections()[name], plugin.section)
    assert settings.section(name, plugin.section) == plugin.section()


def _missing(text: str, model: type) -> list[str]:
    return sorted(name for name in _option_names(model)
                  if not any(form in text for form in (f"{name} =", f".{name}]", f"[{name}]", f"[{name}.")))


def _option_names(model: type) -> set[str]:
    from pydantic import BaseModel

    names: set[str] = set()
    for name, field in model.model_fields.items():  # type: ignore[attr-defined]
        names.add(field.alias or name)
        ann = field.annotation
        for candidate in (ann, *getattr(ann, "__args__", ())):
            inner = getattr(candidate, "__args__", None)
            for c in (candidate, *(inner or ())):
                if isinstance(c, type) and issubclass(c, BaseModel):
                    names |= _option_names(c)
    return names


def test_state_dir_falls_back_when_not_writable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("")
    settings = config.Settings(state_dir=blocker / "sub", devices=[])
    path, why = config.state_dir(settings)
    assert path == tmp_path / "roomwatch-state" and "not writable" in why
    assert os.access(path, os.W_OK)
