"""Property-based fuzzing: how many examples each property tries (FUZZ_EXAMPLES for a long run)."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "roomwatch", max_examples=int(os.environ.get("FUZZ_EXAMPLES", "300")), deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    print_blob=True)
settings.load_profile("roomwatch")
