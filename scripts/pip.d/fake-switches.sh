#!/usr/bin/env bash
# fake-switches (a Cisco CLI simulator the SSH tests drive) pins Twisted<17, which does not run
# on Python 3.11; its real needs (a current Twisted with conch, netaddr, lxml, tftpy) are in the
# `test` extra, and the package itself goes in without its stale pins.
set -euo pipefail
cd "$(dirname "$0")/../.."
.venv/bin/python -c "import fake_switches" 2>/dev/null ||
  .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps "fake-switches==1.5.0"
