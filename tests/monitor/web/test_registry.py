"""IP–MAC 台账 (unknown devices seen, approve one) and 配置变更 (versions, masked diffs) in the console."""

from __future__ import annotations

from pathlib import Path

from collectors.ssh.history import ConfigHistory
from monitor.core import bindings
from monitor.core.model import Reading
from monitor.web.accounts import Role
from tests.monitor.web.conftest import T0, Console, csrf

REGISTRY = ("ip,mac,hostname,owner,department,vlan,switch,port,note\r\n"
            "192.0.2.20,02:00:00:00:00:20,pc-20,李四,财务,,,,\r\n")


def _seen(console: Console, tmp_path: Path) -> Path:
    path = tmp_path / "bindings.csv"
    path.write_bytes(REGISTRY.encode())
    console.settings.bindings.file = path
    labels = {"device": "acc-sw-1", "ip": "192.0.2.77", "mac": "02:00:00:00:00:77", "switch": "acc-sw-1",
              "port": "Gi0/7", "vlan": "10"}
    console.parts.store.write([Reading("arp_unknown_mac", 1.0, labels, T0 - 60)])
    console.parts.store.flush()
    return path


def test_unknown_device_is_listed_with_switch_and_port_and_approved_by_an_admin(
        console: Console, tmp_path: Path) -> None:
    path = _seen(console, tmp_path)
    reloads: list[int] = []
    console.src.reload = lambda: reloads.append(1)
    client = console.login("admin1")
    page = client.get("/bindings").text
    seen = page[page.index('id="seen"'):page.index('id="registry"')]
    assert "192.0.2.77" in seen and "Gi0/7" in seen and "acc-sw-1" in seen
    assert "pc-20" in page[page.index('id="registry"'):]
    form = {"csrf": csrf(page), "ip": "192.0.2.77", "mac": "02:00:00:00:00:77", "vlan": "10",
            "switch": "acc-sw-1", "port": "Gi0/7", "hostname": "printer-3f", "owner": "王五",
            "department": "行政"}
    assert client.post("/bindings/approve", data=form, follow_redirects=False).status_code == 303
    rows, problems = bindings.parse_csv(path.read_bytes(), "bindings.csv", [])
    assert problems == [] and [r.ip for r in rows] == ["192.0.2.20", "192.0.2.77"]
    assert rows[1].hostname == "printer-3f" and rows[1].port == "Gi0/7"
    assert (tmp_path / "bindings.csv.bak").read_bytes() == REGISTRY.encode()
    assert reloads == [1]  # the daemon re-reads the registry at once
    page = client.get("/bindings").text
    assert "192.0.2.77" not in page[page.index('id="seen"'):page.index('id="registry"')]
    [entry] = [e for e in console.src.accounts.audit() if e.action == "bindings.approve"]
    assert entry.who == "admin1" and entry.target == "192.0.2.77 02:00:00:00:00:77"
    again = client.post("/bindings/approve", data=form)
    assert again.status_code == 409


def test_approve_needs_admin_and_a_valid_row(console: Console, tmp_path: Path) -> None:
    path = _seen(console, tmp_path)
    client = console.login("oper1")
    page = client.get("/bindings").text
    assert 'action="/bindings/approve"' not in page
    form = {"csrf": csrf(page), "ip": "192.0.2.77", "mac": "02:00:00:00:00:77"}
    assert client.post("/bindings/approve", data=form).status_code == 403
    console.src.accounts.add("oper1", Role.ADMIN, "correct horse battery", now=T0, by="test")
    bad = client.post("/bindings/approve", data={**form, "mac": "not-a-mac"})
    assert bad.status_code == 400 and "mac" in bad.text.lower()
    assert path.read_bytes() == REGISTRY.encode()


def test_config_changes_list_versions_and_show_the_masked_diff(console: Console) -> None:
    history = ConfigHistory(console.src.state_dir / "configs.db")
    history.add("th-1", "hostname th-1\nsnmp-server community ****** RO\n", T0 - 7200)
    history.add("th-1", "hostname th-1\nsnmp-server community ****** RO\nntp server 192.0.2.1\n", T0 - 60)
    history.close()
    client = console.login("viewer1")
    page = client.get("/changes").text
    assert "th-1" in page and "（不在任何维护窗口内）" in page
    diff = client.get("/changes?device=th-1&a=1&b=2").text
    assert "+ntp server 192.0.2.1" in diff and "******" in diff


def test_registry_and_changes_by_api(console: Console, tmp_path: Path) -> None:
    path = _seen(console, tmp_path)
    admin = {"Authorization": f"Bearer {console.src.accounts.new_token('admin1', now=T0, by='test')}"}
    oper = {"Authorization": f"Bearer {console.src.accounts.new_token('oper1', now=T0, by='test')}"}
    view = console.client.get("/api/v1/bindings", headers=oper).json()
    assert [s["port"] for s in view["seen"]] == ["Gi0/7"] and view["rows"][0]["hostname"] == "pc-20"
    row = {"ip": "192.0.2.77", "mac": "02:00:00:00:00:77", "hostname": "printer-3f"}
    assert console.client.post("/api/v1/bindings", json=row, headers=oper).status_code == 403
    assert console.client.post("/api/v1/bindings", json=row, headers=admin).status_code == 201
    assert b"printer-3f" in path.read_bytes()
    assert console.client.get("/api/v1/changes", headers=oper).json()["devices"] == []
