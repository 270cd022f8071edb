"""``roomwatch test-notify RECEIVER``: send a test message now and report each channel's answer."""

from __future__ import annotations

import argparse
from typing import Any

from monitor.commands.common import EXIT_OK, EXIT_USAGE, EXIT_VIOLATIONS, add_config_option, load, looked_in


def register(sub: Any) -> None:
    """Add the ``test-notify`` parser."""
    p = sub.add_parser("test-notify", help="Send a test message to a receiver.",
                       description="Send a test message to every URL or number of a receiver (`default` "
                       "for [notify] urls, `oncall:NAME` for a person on the rota) and print each "
                       "channel's answer (SMS: the provider's code and request id); exit 1 if any fails.")
    p.add_argument("receiver", help="receiver name")
    add_config_option(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Send and report."""
    from alerts.channels import from_settings
    from alerts.notifiers.sms import params_of
    from alerts.render import Renderer
    from monitor.core.errors import NotifyError
    from monitor.core.model import AlertState
    settings, _ = load(args.config)
    try:
        notifier = from_settings(settings.notify)
    except ValueError as err:
        print(err)
        return EXIT_USAGE
    targets = notifier.targets_of(args.receiver)
    if not targets:
        known = ", ".join(sorted(notifier.receivers)) or "none"
        print(f"no receiver named {args.receiver!r} (known: {known}; looked in "
              f"{looked_in(args.config, settings)})")
        return EXIT_USAGE
    spec = next((r for r in settings.notify.receivers if r.name == args.receiver), None)
    form = spec.format if spec else ("sms" if args.receiver.startswith("oncall:") else "im")
    lang = (spec.lang if spec else None) or settings.notify.lang
    title, body = Renderer(settings.notify.templates_dir).render(
        form=form, lang=lang, firing=[], kind="test", extra={"receiver": args.receiver})
    # SMS templates get recognisable test values in place of an alert's
    params = params_of([], kind="test") | {"device": "roomwatch", "rule": "test", "what": "通道测试",
                                           "value": "0", "clause": "-", "state": "测试"}
    failed = 0
    for target in targets:
        try:
            answer = notifier.send(target, title, body, AlertState.FIRING, params)
        except NotifyError as err:
            failed += 1
            print(f"FAILED {err}")
        else:
            print(f"OK     {notifier.names[target]}: {answer}")
    return EXIT_VIOLATIONS if failed else EXIT_OK
