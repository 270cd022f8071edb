"""Console accounts and the audit log, kept in ``STATE_DIR/web.db``: argon2id passwords, hashed tokens.

The audit table is append-only (triggers refuse UPDATE and DELETE): every action taken through
the console or the API (ack, silence, sign, approve, account changes) is one row with who and when.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from monitor.core.errors import StoreError
from monitor.web.roles import Role

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    password TEXT NOT NULL,      -- argon2id hash; '' means no password login
    token TEXT NOT NULL,         -- sha256 of the API token; '' means none issued
    created REAL NOT NULL,
    sessions_from REAL NOT NULL DEFAULT 0  -- browser sessions begun before this no longer count
);
CREATE TABLE IF NOT EXISTS ended_sessions (  -- logged out: a copy of the cookie must not work
    sid TEXT PRIMARY KEY,
    ended REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    who TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""

TOKEN_PREFIX = "rw_"

VERIFIED_FOR = 300.0
"""Seconds a verified password is remembered (see ``Accounts.check_password``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class User:
    """One account as the console sees it (no hashes)."""

    name: str
    role: Role


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    """One action taken through the console or API."""

    id: int
    ts: float
    who: str
    action: str
    target: str
    detail: str


class Accounts:
    """Users and the audit log in one SQLite file (shared by the daemon and ``roomwatch user``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._hasher = PasswordHasher()
        self._lock = threading.Lock()
        self._key = secrets.token_bytes(32)  # this process's key for remembered verifications
        self._verified: dict[str, tuple[str, float]] = {}
        try:
            self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
            columns = {row[1] for row in self._db.execute("PRAGMA table_info(users)")}
            if "sessions_from" not in columns:  # a web.db from before sessions could be ended
                self._db.execute("ALTER TABLE users ADD COLUMN sessions_from REAL NOT NULL DEFAULT 0")
        except sqlite3.Error as err:
            raise StoreError(f"accounts {path}: {err}", retryable=False) from err

    def close(self) -> None:
        """Release the file."""
        self._db.close()

    def add(self, name: str, role: Role, password: str, *, now: float, by: str) -> None:
        """Create or replace an account (its old token and its browser sessions stop working);
        audited."""
        hashed = self._hasher.hash(password) if password else ""
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO users (name, role, password, token, created, "
                             "sessions_from) VALUES (?, ?, ?, '', ?, ?)",
                             (name, role.value, hashed, now, now))
        self.record(who=by, action="user.add", target=name, detail=f"role={role.value}", now=now)

    def new_token(self, name: str, *, now: float, by: str) -> str:
        """Issue a fresh API token for ``name`` (the previous one stops working) and return it:
        only its hash is kept, so it is shown once."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._lock:
            cur = self._db.execute("UPDATE users SET token = ? WHERE name = ?", (_digest(token), name))
        if cur.rowcount == 0:
            raise KeyError(name)
        self.record(who=by, action="user.token", target=name, detail="new API token", now=now)
        return token

    def users(self) -> list[User]:
        """Every account, by name."""
        with self._lock:
            rows = self._db.execute("SELECT name, role FROM users ORDER BY name").fetchall()
        return [User(name=str(r[0]), role=Role(r[1])) for r in rows]

    def check_password(self, name: str, password: str, *, now: float) -> User | None:
        """The account if ``password`` is its password; None otherwise (unknown names cost the
        same hashing time, so timing does not tell which names exist).

        A success is remembered for ``VERIFIED_FOR`` seconds, keyed by a keyed hash of name and
        password, while the stored hash is unchanged: HTTP basic auth (Grafana) sends the password
        with every request, and argon2 is slow on purpose."""
        found = self.remembered(name, password, now=now)
        if found is not None:
            return found
        key = self._remember_key(name, password)
        row = self._row(name)
        stored = row[2] if row is not None and row[2] else _dummy()
        try:
            self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if row is None or not row[2]:
            return None
        if len(self._verified) > 1000:
            self._verified.clear()
        self._verified[key] = (str(row[2]), now + VERIFIED_FOR)
        return User(name=str(row[0]), role=Role(row[1]))

    def remembered(self, name: str, password: str, *, now: float) -> User | None:
        """The account if this very password was verified less than ``VERIFIED_FOR`` seconds ago
        and the stored hash is unchanged; None means "not known", not "wrong": costs no hashing,
        so the daemon's loop may ask."""
        row = self._row(name)
        remembered = self._verified.get(self._remember_key(name, password))
        if row is not None and remembered is not None and remembered[0] == row[2] and now < remembered[1]:
            return User(name=str(row[0]), role=Role(row[1]))
        return None

    def _remember_key(self, name: str, password: str) -> str:
        return hmac.new(self._key, f"{name}\0{password}".encode(), hashlib.sha256).hexdigest()

    def check_token(self, token: str) -> User | None:
        """The account whose API token this is, or None."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        digest = _digest(token)
        with self._lock:
            row = self._db.execute("SELECT name, role, token FROM users WHERE token = ?",
                                   (digest,)).fetchone()
        if row is None or not hmac.compare_digest(str(row[2]), digest):
            return None
        return User(name=str(row[0]), role=Role(row[1]))

    def session_user(self, name: str, sid: str, since: float) -> User | None:
        """The account of a browser session begun at ``since``, or None when the session was
        logged out or began before the account's password was last set."""
        with self._lock:
            row = self._db.execute("SELECT name, role, sessions_from, EXISTS (SELECT 1 FROM ended_sessions "
                                   "WHERE sid = ?) FROM users WHERE name = ?", (sid, name)).fetchone()
        if row is None or since < row[2] or row[3]:
            return None
        return User(name=str(row[0]), role=Role(row[1]))

    def end_session(self, sid: str, *, now: float, keep: float) -> None:
        """Remember that session ``sid`` was logged out, for ``keep`` seconds (a session's
        longest life: after that its cookie has expired anyway)."""
        with self._lock:
            self._db.execute("DELETE FROM ended_sessions WHERE ended < ?", (now - keep,))
            self._db.execute("INSERT OR REPLACE INTO ended_sessions VALUES (?, ?)", (sid, now))

    def user(self, name: str) -> User | None:
        """The account named ``name`` (its role may have changed since a session began)."""
        row = self._row(name)
        return None if row is None else User(name=str(row[0]), role=Role(row[1]))

    def record(self, *, who: str, action: str, target: str, detail: str, now: float) -> None:
        """Append one action to the audit log."""
        try:
            with self._lock:
                self._db.execute("INSERT INTO audit (ts, who, action, target, detail) VALUES (?, ?, ?, ?, ?)",
                                 (now, who, action, target, detail))
        except sqlite3.Error as err:
            raise StoreError(f"audit log {self.path}: {err}", retryable=True) from err

    def audit(self, limit: int = 200) -> list[AuditEntry]:
        """The newest ``limit`` actions, newest first."""
        with self._lock:
            rows = self._db.execute("SELECT id, ts, who, action, target, detail FROM audit "
                                    "ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [AuditEntry(id=r[0], ts=r[1], who=r[2], action=r[3], target=r[4], detail=r[5]) for r in rows]

    def _row(self, name: str) -> tuple[Any, ...] | None:
        with self._lock:
            row: tuple[Any, ...] | None = self._db.execute(
                "SELECT name, role, password FROM users WHERE name = ?", (name,)).fetchone()
        return row


def _digest(token: str) -> str:
    # A token is 256 random bits: a plain hash is enough (no dictionary to guess from).
    return hashlib.sha256(token.encode()).hexdigest()


@functools.cache
def _dummy() -> str:
    return PasswordHasher().hash("roomwatch-no-such-user")
