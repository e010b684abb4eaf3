"""Test-suite wiring: real infrastructure fixtures come from localinfra's pytest plugin."""

pytest_plugins = ["localinfra.pytest_plugin"]
