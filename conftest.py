"""The repository's pytest set-up: the landscape-claims plugin, the suite's fixtures and Hypothesis profiles.

Options are the plugin's (``landscape_lib.pytest_plugin``; README lists them). Hypothesis: --hypothesis-profile
dev|ci|thorough or HYPOTHESIS_PROFILE.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile("dev", max_examples=30, deadline=None)
settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

pytest_plugins = ["landscape_lib.pytest_plugin", "fixtures.lab"]
