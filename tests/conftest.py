"""Shared test configuration: Hypothesis profiles.

`make test` runs the default profile (bounded example counts, fast); `make fuzz` selects
``deep`` (``--hypothesis-profile=deep``) for far longer property and fuzz runs.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "deep",
    max_examples=20_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
