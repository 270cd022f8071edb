"""Words of the console in zh-CN (default) and English."""

from __future__ import annotations

from collections.abc import Callable

WORDS: dict[str, tuple[str, str]] = {
    "title": ("roomwatch 机房监控", "roomwatch"),
    "overview": ("总览", "Overview"),
    "alerts": ("告警", "Alerts"),
    "inspection": ("巡检", "Inspection"),
    "bindings": ("IP–MAC 台账", "IP–MAC registry"),
    "audit": ("操作记录", "Audit log"),
    "login": ("登录", "Log in"),
    "logout": ("退出", "Log out"),
    "user": ("用户名", "User"),
    "password": ("密码", "Password"),
    "wrong_login": ("用户名或密码错误", "Wrong user name or password"),
    "room": ("机房", "Room"),
    "device": ("设备", "Device"),
    "kind": ("类型", "Kind"),
    "level": ("等级", "Level"),
    "status": ("状态", "Status"),
    "readings": ("当前读数", "Current readings"),
    "up": ("在线", "Up"),
    "down": ("离线", "Down"),
    "no_data": ("无数据", "No data"),
    "critical": ("紧急", "Critical"),
    "warning": ("警告", "Warning"),
    "info": ("提示", "Info"),
    "firing": ("当前告警", "Firing"),
    "history": ("告警历史（7 天）", "History (7 days)"),
    "rule": ("规则", "Rule"),
    "severity": ("级别", "Severity"),
    "since": ("开始", "Since"),
    "value": ("值", "Value"),
    "clause": ("依据条款", "Clause"),
    "summary": ("说明", "Summary"),
    "ack": ("认领", "Acknowledge"),
    "acked_by": ("已认领", "Acknowledged by"),
    "comment": ("备注", "Comment"),
    "silenced": ("已静默", "Silenced"),
    "silences": ("静默", "Silences"),
    "silence_add": ("新建静默", "New silence"),
    "matchers": ("匹配条件", "Matchers"),
    "duration": ("时长", "Duration"),
    "expire": ("结束", "Expire"),
    "ends": ("结束时间", "Ends"),
    "by": ("操作人", "By"),
    "when": ("时间", "When"),
    "action": ("操作", "Action"),
    "target": ("对象", "Target"),
    "detail": ("内容", "Detail"),
    "none": ("无", "None"),
    "devices": ("设备数", "Devices"),
    "state": ("状态", "State"),
    "resolved": ("已恢复", "Resolved"),
    "pending": ("待定", "Pending"),
    "lang": ("English", "中文"),
    "done": ("已完成", "Done"),
}

LANGS = ("zh", "en")


def translator(lang: str) -> Callable[[str], str]:
    """``t(key)`` in ``lang``; an unknown key shows itself, so a missing word is visible, not blank."""
    index = 1 if lang == "en" else 0
    return lambda key: WORDS[key][index] if key in WORDS else key
