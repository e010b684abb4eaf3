"""Unit tests of the order service (a package so the tests share their scenario builders)."""
