"""Every dependency of every route is a coroutine function: FastAPI runs a plain `def`
dependency in its thread pool, a thread hop on every request for work that does not block."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute


def _calls(dependant: Dependant) -> Iterator[object]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def _synchronous(call: object) -> bool:
    target = call if inspect.isfunction(call) else getattr(call, "__call__", call)  # noqa: B004
    if inspect.isclass(call):
        return False  # a security scheme or model instance: FastAPI calls it in the loop
    return not inspect.iscoroutinefunction(target)


@pytest.mark.parametrize("service", ["order", "logistics", "aftersales", "dashboard"])
def test_no_route_of_a_service_has_a_synchronous_dependency(
    service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@127.0.0.1:1/none")
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    app: FastAPI = importlib.import_module(f"{service}_service.main").create_app()
    routes = [route for route in app.routes if isinstance(route, APIRoute)]
    assert routes
    synchronous = {
        f"{route.path}: {getattr(call, '__qualname__', call)}"
        for route in routes
        for call in _calls(route.dependant)
        if _synchronous(call)
    }
    assert not synchronous
