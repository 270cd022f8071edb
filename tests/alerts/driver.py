"""Run a dispatcher through steps on a fake clock, then die by SIGKILL (for crash tests).

``python driver.py DB NOTIFY_JSON STEPS_JSON``; a step is ``[second, "submit", alert…]`` or
``[second, "deliver"]``. After the last step the process kills itself: nothing is closed.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[2]))

from alerts.channels import from_settings
from alerts.config import NotifySettings
from alerts.dispatch import Dispatcher
from alerts.outbox import Outbox
from alerts.state import from_json


def main() -> None:
    db, notify, steps = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
    settings = NotifySettings.model_validate(notify)
    d = Dispatcher(Outbox(Path(db)), from_settings(settings), settings=settings)
    for second, action, *args in steps:
        if action == "submit":
            d.submit([from_json(a) for a in args], float(second))
        else:
            asyncio.run(d.deliver(float(second)))
    os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    main()
