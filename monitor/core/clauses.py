"""English glosses of the regulation titles clauses cite (the Chinese title stays: it is the name)."""

from __future__ import annotations

import re

# The documents the shipped packs and daily items cite; a site's own titles pass through as they are.
TITLES_EN: dict[str, str] = {
    "信息中心机房管理制度": "Information Centre Machine-Room Rules",
    "中心机房巡检管理制度": "Central Machine-Room Inspection Rules",
    "保险代理公司信息化管理制度": "Insurance Agency IT Management Rules",
    "公司信息化工作报告": "Company IT Work Report",
    "学校网络中心管理制度": "School Network Centre Rules",
    "数据备份工作制度": "Data Backup Rules",
    "信息系统运行及维护制度": "Information System Operation and Maintenance Rules",
    "学籍系统工作调度会讲话": "Student Records System Meeting Address",
    "外网管理制度": "Internet Access Rules",
    "公司信息化管理制度": "Company IT Management Rules",
    "校园网管理教师工作职责": "Campus Network Administrator Duties",
    "集团公司信息化管理制度": "Group Company IT Management Rules",
    "信息系统操作员授权与离岗制度": "Information System Operator Authorisation and Departure Rules",
    "账号及密码管理制度": "Account and Password Rules",
    "统计局信息化管理制度": "Statistics Bureau IT Management Rules",
    "局信息化管理制度": "Bureau IT Management Rules",
    "学院信息化管理制度": "College IT Management Rules",
    "学校网络教室使用管理制度": "School Network Classroom Rules",
}

_TITLE = re.compile(r"《([^》]+)》")


def gloss(clause: str) -> str:
    """``clause`` with each known 《title》 followed by its English name in brackets:
    ``《数据备份工作制度》第2条`` -> ``《数据备份工作制度》(Data Backup Rules) 第2条``."""
    def add(m: re.Match[str]) -> str:
        english = TITLES_EN.get(m.group(1))
        if not english:
            return m.group(0)
        after = m.string[m.end():m.end() + 1]  # a space before an article, none before a separator
        spaced = after and not after.isspace() and after not in "；;，,"
        return f"{m.group(0)}({english})" + (" " if spaced else "")

    return _TITLE.sub(add, clause)
