"""A GSM/4G modem (短信猫) driven by Gammu's SMS daemon: inject into a running ``gammu-smsd``.

``gammu-smsd-inject`` writes the message into the daemon's outbox (files or SQL service alike),
so roomwatch never holds the modem itself. Text outside the GSM alphabet (Chinese) goes as
Unicode; a text longer than one part is given ``-len`` so Gammu splits it into linked parts
(67 Unicode / 153 GSM characters each) the way the modem sends concatenated SMS.
"""

from __future__ import annotations

import logging
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path

from pydantic import Field

from alerts.notifiers.sms import Answer, masked
from monitor.core.durations import Duration
from monitor.core.errors import NotifyError
from monitor.core.options import PluginOptions

log = logging.getLogger(__name__)

SAMPLE = """\
[[notify.receivers]]
name = "duty-modem"
kind = "gammu"
numbers = ["+8613800000000"]
format = "sms"
[notify.receivers.gammu]
smsdrc = "/etc/gammu-smsdrc"           # the running gammu-smsd's config
inject = "gammu-smsd-inject"
timeout = "20s"
max_chars = 670                        # 10 linked Unicode parts
"""

# GSM 03.38 basic alphabet: text made only of these goes as 7-bit, anything else as Unicode.
_GSM = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
           "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
_WRITTEN = re.compile(r"Written message with ID (\S+)")


class GammuOptions(PluginOptions):
    """``[notify.receivers.gammu]``: which gammu-smsd to inject into."""

    smsdrc: str = Field(min_length=1, description="Config file of the running gammu-smsd.")
    inject: str = Field("gammu-smsd-inject", description="The inject program (path or name on PATH).")
    timeout: Duration = Field(20.0, gt=0, description="Longest an inject may take.")
    max_chars: int = Field(670, ge=1, description="Longest text sent (10 linked Unicode parts).")


def is_gsm(text: str) -> bool:
    """Whether ``text`` fits the GSM 7-bit alphabet (else it needs Unicode)."""
    return all(c in _GSM for c in text)


def inject_args(options: GammuOptions, number: str, text: str) -> list[str]:
    """The ``gammu-smsd-inject`` command line for one message."""
    args = [options.inject, "-c", options.smsdrc, "TEXT", number]
    if not is_gsm(text):
        args.append("-unicode")
    single = 160 if is_gsm(text) else 70
    if len(text) > single:
        args += ["-len", str(len(text))]  # linked parts, split by Gammu as the modem expects
    return [*args, "-text", text]


class GammuSms:
    """Queues each message into gammu-smsd's outbox; the daemon sends it through the modem."""

    kind = "gammu"

    def __init__(self, options: GammuOptions) -> None:
        if not Path(options.smsdrc).is_file():
            raise ValueError(f"smsdrc: {options.smsdrc} does not exist")
        self.options = options

    def send(self, number: str, text: str, params: Mapping[str, str]) -> Answer:
        """Inject; the answer names the outbox message gammu-smsd will send."""
        text = text[: self.options.max_chars]
        who = f"gammu {masked(number)}"
        try:
            done = subprocess.run(inject_args(self.options, number, text), capture_output=True,
                                  text=True, timeout=self.options.timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as err:
            raise NotifyError(f"{who}: cannot run {self.options.inject}: {err}", retryable=True) from None
        said = (done.stdout + done.stderr).strip()
        found = _WRITTEN.search(said)
        if done.returncode != 0 or found is None:
            last = said.splitlines()[-1] if said else f"exit {done.returncode}"
            raise NotifyError(f"{who}: gammu-smsd-inject failed: {last}", retryable=True)
        return Answer(code="queued", request_id=Path(found.group(1)).name)
