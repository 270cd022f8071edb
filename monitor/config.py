"""The one TOML config file, read with pydantic-settings; ROOMWATCH_… variables override it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, Field, ValidationError, create_model
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict, SettingsError

from alerts.config import NotifySettings
from collectors import transports
from collectors.arp import ArpOptions
from collectors.backup import Backup, check_backups
from collectors.probe import Link, check_links
from collectors.syslog import SyslogOptions
from collectors.traps import TrapOptions
from monitor import statedir
from monitor.cluster import ClusterSettings
from monitor.core import textfiles
from monitor.core.bindings import BindingsSettings
from monitor.core.errors import ConfigError
from monitor.core.host import local_name
from monitor.core.paths import DEFAULT_CONFIG
from monitor.core.windows import Window
from monitor.facility import FacilitySettings
from monitor.inventory import Device, check_inventory, check_names
from monitor.sections import Defaults, LogSettings, ReportSettings, RulesSettings, WebSettings
from monitor.store.settings import AlertmanagerSettings, StoreSettings

DEFAULT_PATH = DEFAULT_CONFIG  # a name the CLI can read without importing this module


M = TypeVar("M", bound=BaseModel)


class BaseConfig(BaseSettings):
    """The whole configuration. Environment variables ``ROOMWATCH_<KEY>`` (nested with ``__``)
    override the file, e.g. ``ROOMWATCH_STATE_DIR`` or ``ROOMWATCH_LOG__LEVEL``."""

    model_config = SettingsConfigDict(
        env_prefix="ROOMWATCH_", env_nested_delimiter="__", extra="forbid", case_sensitive=False
    )

    state_dir: Path = Field(Path("/var/lib/roomwatch"), description="Where state is kept.")
    defaults: Defaults = Field(default_factory=Defaults, description="Polling defaults.")
    log: LogSettings = Field(default_factory=LogSettings, description="Logging.")
    devices: list[Device] = Field(
        default_factory=lambda: [Device.model_validate({"name": local_name(), "kind": "server",
                                                        "local": {}})],
        description="The inventory; default: this host only.",
    )
    rules: RulesSettings = Field(default_factory=RulesSettings, description="Rules.")
    store: StoreSettings = Field(default_factory=StoreSettings, description="Stores.")
    notify: NotifySettings = Field(default_factory=NotifySettings, description="Notifications.")
    report: ReportSettings = Field(default_factory=ReportSettings, description="Inspection reports.")
    maintenance: list[Window] = Field(
        default_factory=list, description="Declared maintenance/change windows."
    )
    bindings: BindingsSettings = Field(
        default_factory=BindingsSettings, description="The IP–MAC binding registry (资产台账)."
    )
    arp: ArpOptions | None = Field(None, description="Passive ARP sniffing and rogue-device detection.")
    links: list[Link] = Field(
        default_factory=list, description="Network channels and services to probe (ICMP, TCP, HTTP)."
    )
    traps: TrapOptions = Field(default_factory=TrapOptions, description="SNMP trap receiver.")
    syslog: SyslogOptions | None = Field(
        None, description="Syslog receiver and its evidence store (absent: 运行日志 is 未配置).")
    backups: list[Backup] = Field(
        default_factory=list, description="Backup jobs (restic, borg, files, exec) checked for item 8."
    )
    facility: FacilitySettings = Field(
        default_factory=FacilitySettings, description="Machine-room facilities: working hours.")
    web: WebSettings = Field(default_factory=WebSettings, description="Web console and HTTP API.")
    # -- scale: many pollers, one store (issue 23) --
    cluster: ClusterSettings = Field(
        default_factory=ClusterSettings, description="Shard, site and poller of this daemon.")
    alertmanager: AlertmanagerSettings = Field(
        default_factory=AlertmanagerSettings, description="Prometheus Alertmanager output.")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The file's content arrives as init arguments; the environment overrides it.
        return env_settings, init_settings

    def section(self, name: str, model: type[M]) -> M:
        """A transport's top-level section (``[ssh]``) as its model; its defaults when not given."""
        given = getattr(self, name, None)
        return given if isinstance(given, model) else model()

    def sections(self) -> dict[str, BaseModel]:
        """Every transport's top-level section, by transport name."""
        return {t.name: section for t in transports() if t.section is not None
                and isinstance(section := getattr(self, t.name, None), BaseModel)}


def _with_transport_sections() -> type[BaseConfig]:
    # A transport that exports a Section gets its top-level table (``[ssh]``) here by being
    # registered, so adding one stays one folder plus one registry line.
    fields: dict[str, Any] = {
        t.name: (t.section, Field(default_factory=t.section,
                                  description=f"{t.name} transport: settings shared by its devices."))
        for t in transports() if t.section is not None}
    return create_model("Settings", __base__=BaseConfig, __doc__=BaseConfig.__doc__,
                        __module__=__name__, **fields)


if TYPE_CHECKING:
    Settings = BaseConfig
else:
    Settings = _with_transport_sections()


def load(path: Path | None = None) -> tuple[Settings, Path | None]:
    """Read the config file (or none) and the environment; raise ConfigError listing every
    problem with its location. Returns the settings and the file actually read."""
    settings, chosen, problems = examine(path)
    if problems or settings is None:
        raise ConfigError(problems)
    return settings, chosen


def examine(path: Path | None = None) -> tuple[Settings | None, Path | None, list[str]]:
    """Every problem of the config file (or none) and the environment, in one pass, with the
    settings built from the parts that are valid, so that later checks (rules, notifiers) can
    report theirs in the same pass. ConfigError only when the file cannot be read at all."""
    chosen = path
    if chosen is None and DEFAULT_PATH.exists():
        chosen = DEFAULT_PATH
    name = chosen.name if chosen else "environment"
    data = read_toml(chosen) if chosen is not None else {}
    # Keys starting with _ are pydantic-settings' own arguments (_env_file…), never settings.
    problems = [f"{name}: {key}: unknown key (a typo?)" for key in data if key.startswith("_")]
    data = {key: value for key, value in data.items() if not key.startswith("_")}
    settings: Settings | None = None
    try:
        settings = Settings(**data)
    except ValidationError as err:
        problems += [f"{name}: {problem}" for problem in describe(err)]
        settings = _valid_part(data)
    except SettingsError as err:  # a ROOMWATCH_… variable that is not the JSON it must be
        return None, chosen, [*problems, f"environment: {err}"]
    devices: list[Device | None] = list(settings.devices) if settings is not None else []
    entries: list[tuple[object, object]] = [(d.name, d.parent) for d in devices if d is not None]
    if problems:  # check the entries as written, keeping their indices
        raw = data.get("devices")
        raw = raw if isinstance(raw, list) else []
        devices = [_device(d) for d in raw]
        entries = [(d.get("name"), d.get("parent")) if isinstance(d, dict) else (None, None) for d in raw]
    problems += check_names(entries, f"{name}: ") + check_inventory(devices, f"{name}: ")
    names = [n for n, _ in entries if isinstance(n, str)]
    for i, dev in enumerate(devices):
        if dev is None or settings is None:
            continue
        interval = dev.interval or settings.defaults.interval
        problems += [f"{name}: devices[{i}]: {problem}" for table in dev.tables().values()
                     if (problem := table.timing_problem(interval, dev.timeout))]
    if settings is not None:
        problems += check_links(settings.links, names,
                                settings.defaults.interval, f"{name}: ")
        problems += check_backups(settings.backups, {d.name: "ssh" in d.tables() for d in settings.devices},
                                  f"{name}: ")
        registry = settings.bindings.file
        if registry is not None and chosen is not None and not registry.is_absolute():
            # The registry usually sits beside the config file; a relative path means there.
            settings.bindings.file = chosen.parent / registry
    return settings, chosen, problems


def _valid_part(data: dict[str, Any]) -> Settings | None:
    # Each section alone, and each device alone: what is valid goes on to the next checks.
    good: dict[str, Any] = {}
    for key, value in data.items():
        try:
            Settings(**({key: value} if key != "devices" else {}))
        except (ValidationError, SettingsError):
            continue
        if key == "devices" and isinstance(value, list):
            value = [d for d in value if _device(d) is not None]
        good[key] = value
    try:
        return Settings(**good)
    except (ValidationError, SettingsError):
        return None


def _device(raw: object) -> Device | None:
    try:
        return Device.model_validate(raw)
    except ValidationError:
        return None


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file as a dict; unreadable, non-UTF-8, too deeply nested and syntax errors name
    the file and line (ConfigError)."""
    return textfiles.parse_toml(textfiles.decode(textfiles.read_bytes(path), path.name), path.name)


def describe(err: ValidationError) -> list[str]:
    """One ``location: message`` line per pydantic error, worded for people, secrets left out."""
    lines = []
    for item in err.errors(include_url=False, include_input=True):
        where = _location(item["loc"])
        kind, msg = item["type"], item["msg"]
        if kind in ("literal_error", "enum"):
            expected = item.get("ctx", {}).get("expected", "")
            parts = expected.replace(" or ", ", ").split(",")
            choices = ", ".join(part.strip(" '") for part in parts)
            msg = f"{item['input']!r} is not one of {choices}"
        elif kind == "extra_forbidden":
            msg = "unknown key (a typo?)"
        elif kind == "missing":
            msg = "required but missing"
        elif kind == "value_error":
            msg = msg.removeprefix("Value error, ")
        lines.append(f"{where}: {msg}" if where else msg)
    return lines


def _location(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith(("function-", "list[", "dict[")):
            continue  # pydantic's validator and container steps say nothing to a person
        else:
            out += ("." if out else "") + str(part)
    return out


def state_dir(settings: Settings) -> tuple[Path, str]:
    """The state directory to use and why (see ``monitor.statedir.choose``)."""
    # Say "default" when neither the file nor ROOMWATCH_STATE_DIR set it: the log must not claim
    # a configuration that does not exist.
    origin = "configured" if "state_dir" in settings.model_fields_set else "default"
    return statedir.choose(settings.state_dir, origin)
