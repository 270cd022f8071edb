"""Logs kept (《学校网络中心管理制度》第四条): log files truncated or removed, the journal wiped or
a hole in its middle, the Windows Security log cleared (event 1102). Findings stay reported
for ``log_cleared_window``.

Log rotation is not removal: a file renamed to ``NAME.1`` / ``NAME-DATE`` (same inode) or copied
there before truncation (``copytruncate``: a sibling at least as big as the old file) is rotation.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from typing import Any

from collectors.posture.outcome import Builder, Outcome, unavailable


def stats(text: str) -> dict[str, tuple[int, int]]:
    """``stat -c '%i %s %n'`` lines → path → (inode, size)."""
    out: dict[str, tuple[int, int]] = {}
    for line in text.splitlines():
        words = line.split(" ", 2)
        if len(words) == 3 and words[0].isdigit() and words[1].isdigit():
            out[words[2]] = (int(words[0]), int(words[1]))
    return out


def watch(state: MutableMapping[str, Any], text: str | None, journal: str | None, *,
          watched: Iterable[str], now: float, window: float, uid_groups: str = "") -> Outcome:
    """Compare the files and journal with the previous poll kept in ``state`` (updated in place)."""
    if text is None:
        return unavailable("logs section missing from the server's answer")
    current = stats(text)
    before: dict[str, list[int]] = state.setdefault("files", {})
    events: dict[str, float] = state.setdefault("events", {})
    b = Builder()
    for path in watched:
        old, new = before.get(path), current.get(path)
        if old is not None:
            siblings = {p: v for p, v in current.items()
                        if p != path and p.startswith((path + ".", path + "-"))}
            rotated = any(inode == old[0] for inode, _ in siblings.values())
            copied = any(size >= old[1] for _, size in siblings.values())
            if new is None and not rotated:
                events[f"removed:{path}"] = now
            elif new is not None and new[0] == old[0] and new[1] < old[1] and not copied:
                events[f"truncated:{path}"] = now
            elif new is not None and new[0] != old[0] and not rotated:
                events[f"removed:{path}"] = now  # deleted and created anew
        if new is not None:
            before[path] = list(new)
        else:
            before.pop(path, None)  # reported through its event from now on
    for path in sorted(set(watched)):
        if path in before or _recent(events, f"removed:{path}", now, window):
            b.add("log_truncated", float(_recent(events, f"truncated:{path}", now, window)), path=path)
            b.add("log_removed", float(_recent(events, f"removed:{path}", now, window)), path=path)
    if not before:
        b.lack("none of the watched log files exists or is visible")
    _journal(state, journal, now, window, uid_groups, b)
    for key in [k for k, at in events.items() if now - at > window]:
        del events[key]
    return b.done()


def _journal(state: MutableMapping[str, Any], text: str | None, now: float, window: float,
             uid_groups: str, b: Builder) -> None:
    if text is None or text.strip() == "nojournal":
        return
    lines = text.splitlines()
    first = _stamp(next((line for line in lines if line.startswith("first ")), ""))
    last = _stamp(next((line for line in lines if line.startswith("last ")), ""))
    words = uid_groups.split()
    if not (words[:1] == ["0"] or {"adm", "systemd-journal", "root"} & set(words[1:])):
        b.lack("the journal is not readable by this account (add it to group systemd-journal)")
        return
    events: dict[str, float] = state["events"]
    seen = state.get("journal_last")
    if seen is not None and (first is None or first > seen):
        events["journal"] = now  # every entry seen before is gone: wiped, not rotated by age
    if last is not None:
        state["journal_last"] = last
    if seen is not None or last is not None:
        b.add("journal_cleared", float(_recent(events, "journal", now, window)))
    holes = gaps(lines)
    if holes is not None:
        b.add("journal_gaps", len(holes))
        b.add("journal_missing_entries", sum(count for count, _ in holes))
        b.details("journal_gap", [after for _, after in holes], "after")


def gaps(lines: Iterable[str]) -> list[tuple[int, str]] | None:
    """Holes in the middle of the journal from ``journalctl --header`` (``header`` lines):
    per sequence-number ID (one journald), the entries no file holds between the files that
    remain, as (missing count, tail time of the file before the hole). Entries vacuumed from
    the start are not a hole. None when no file header was listed."""
    files: list[dict[str, str]] = []
    for line in lines:
        key, _, value = line.removeprefix("header ").partition(": ")
        if not line.startswith("header ") or not value:
            continue
        if key == "File path":
            files.append({})
        elif files:
            files[-1][key] = value.strip()
    if not files:
        return None
    ranges: dict[str, list[tuple[int, int, str]]] = {}
    for f in files:
        head, tail = _seqnum(f.get("Head sequential number")), _seqnum(f.get("Tail sequential number"))
        if head and tail and head <= tail:  # an empty file (0) holds no range
            ranges.setdefault(f.get("Sequential number ID", ""), []).append(
                (head, tail, f.get("Tail realtime timestamp", "").split(" (")[0]))
    holes: list[tuple[int, str]] = []
    for spans in ranges.values():
        spans.sort()
        covered, when = spans[0][1], spans[0][2]
        # System and user journals share one counter and interleave, so only a range no file
        # covers at all is a hole.
        for head, tail, tail_time in spans[1:]:
            if head > covered + 1:
                holes.append((head - covered - 1, when or "?"))
            if tail >= covered:
                covered, when = tail, tail_time
    return holes


def _seqnum(text: str | None) -> int:
    word = (text or "").split(" ", 1)[0]
    return int(word) if word.isdigit() else 0


def _stamp(line: str) -> float | None:
    words = line.split()
    try:
        return float(words[1]) if len(words) > 1 else None
    except ValueError:
        return None


def _recent(events: dict[str, float], key: str, now: float, window: float) -> bool:
    return key in events and now - events[key] <= window


def windows_cleared(events: Iterable[float], now: float, window: float) -> Outcome:
    """``log_cleared{log="Security"}`` from the times of event 1102."""
    b = Builder()
    b.add("log_cleared", float(any(now - t <= window for t in events)), log="Security")
    return b.done()
