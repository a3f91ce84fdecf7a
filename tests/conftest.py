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

# Hypothesis' per-example deadline is a timing assertion: on a shared, noisy machine (CI) it
# fails tests that are merely slow. Example counts bound the run time instead.
settings.register_profile("ci", deadline=None)
settings.load_profile("ci")
