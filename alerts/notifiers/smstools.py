"""A GSM/4G modem (短信猫) driven by smstools3 (``smsd``): write files into its outgoing spool.

Each message is one file in the format smsd reads: ``To:`` with the number in international
form without ``+``, ``Alphabet: UCS2`` and UCS-2 big-endian text when it is not plain Latin
(Chinese), a blank line, the text. It is written under a temporary name outside the spool and
renamed into it, so smsd never picks up half a file. smsd splits long text itself (autosplit).
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from pydantic import Field

from alerts.notifiers.sms import Answer, masked
from monitor.core.errors import NotifyError
from monitor.core.options import PluginOptions

log = logging.getLogger(__name__)

SAMPLE = """\
[[notify.receivers]]
name = "duty-smsd"
kind = "smstools"
numbers = ["+8613800000000"]
format = "sms"
[notify.receivers.smstools]
outgoing = "/var/spool/sms/outgoing"
temp_dir = "/var/spool/sms"            # same file system: written there, renamed into outgoing
"""


class SmstoolsOptions(PluginOptions):
    """``[notify.receivers.smstools]``: where smsd's outgoing spool is."""

    outgoing: str = Field("/var/spool/sms/outgoing", description="smsd's outgoing spool directory.")
    temp_dir: str | None = Field(None, description="Where files are written before the rename "
                                 "(same file system; default: the spool's parent).")


def spool_file(number: str, text: str) -> bytes:
    """One message as smsd reads it from the outgoing spool."""
    to = number.lstrip("+")
    try:
        body = text.encode("iso-8859-15")
        header = f"To: {to}\n\n"
    except UnicodeEncodeError:
        body = text.encode("utf-16-be")
        header = f"To: {to}\nAlphabet: UCS2\n\n"
    return header.encode("ascii") + body


class Smstools:
    """Drops one spool file per message; smsd sends it through the modem."""

    kind = "smstools"

    def __init__(self, options: SmstoolsOptions) -> None:
        self.outgoing = Path(options.outgoing)
        self.temp = Path(options.temp_dir) if options.temp_dir else self.outgoing.parent
        if not self.outgoing.is_dir():
            raise ValueError(f"outgoing: {self.outgoing} is not a directory")
        if not self.temp.is_dir() or self.temp.stat().st_dev != self.outgoing.stat().st_dev:
            raise ValueError(f"temp_dir: {self.temp} must be a directory on the spool's file system")

    def send(self, number: str, text: str, params: Mapping[str, str]) -> Answer:
        """Write the file atomically; the answer names it."""
        try:
            fd, tmp = tempfile.mkstemp(prefix=".roomwatch-", dir=self.temp)
            with os.fdopen(fd, "wb") as out:
                out.write(spool_file(number, text))
                out.flush()
                os.fsync(out.fileno())
            final = self.outgoing / ("roomwatch_" + Path(tmp).name.removeprefix(".roomwatch-"))
            os.chmod(tmp, 0o660)
            os.replace(tmp, final)
        except OSError as err:
            raise NotifyError(f"smstools {masked(number)}: cannot write to {self.outgoing}: "
                              f"{err.strerror}", retryable=True) from None
        return Answer(code="queued", request_id=final.name)
