"""Benchmark 2's verdicts and the spec it hands wrk: a cost target is met only at or under its
ratio, and the Lua spec carries every byte of the bodies (UTF-8, quotes) unchanged."""

from __future__ import annotations

import json
import re
from pathlib import Path

from bench.figures import Figure, Target
from bench.loadgen import Connection, LoadSpec
from bench.wrk import lua_spec, lua_string


def _unlua(literal: str) -> str:
    """Decode a literal `lua_string` wrote: printable ASCII and \\ddd byte escapes only."""
    assert literal[0] == literal[-1] == '"'
    raw = re.sub(r"\\(\d{3})", lambda m: chr(int(m[1])), literal[1:-1])
    return raw.encode("latin-1").decode()


def test_a_maximum_ratio_is_met_at_or_under_it_and_missed_above_or_without_a_baseline() -> None:
    target = Target("≤ 0.7× CRUD", maximum_ratio=0.7)

    assert Figure("cpu", 7.0, "ms", "crud", 10.0, target).met is True
    assert Figure("cpu", 7.5, "ms", "crud", 10.0, target).met is False
    assert Figure("cpu", 7.5, "ms", "crud", 0.0, target).met is False  # ratio inf
    assert Figure("rate", 2.0, "req/s", "crud", 1.0, Target("≥ 1.5×", 1.5)).met is True


def test_a_lua_literal_keeps_utf8_quotes_and_backslashes() -> None:
    text = '{"name":"张三","note":"a \\"quoted\\" \\\\ path"}\n'

    literal = lua_string(text)

    assert literal.isascii()
    assert '"' not in literal[1:-1]
    assert _unlua(literal) == text


def test_the_spec_carries_each_connections_bodies_and_headers() -> None:
    body = {"shop_id": "shop-1", "payable": 18100, "receiver": {"name": "李雷"}}
    connection = Connection({"Authorization": "Bearer b"}, body, {"Authorization": "Bearer p"})
    spec = LoadSpec("http://127.0.0.1:1", "place_and_pay", 1, 2, [connection])

    chunk = lua_spec(spec, (10.0, 12.0), Path("/tmp/out.json"))

    literals = [_unlua(m) for m in re.findall(r'"(?:[^"\\]|\\\d{3})*"', chunk)]
    order_body = json.loads(literals[literals.index("order_body") + 1])
    payment_rest = literals[literals.index("payment_rest") + 1]
    assert order_body == body
    payment = json.loads('{"payment_id":"p",' + payment_rest)
    assert payment["amount"] == {"amount": 18100, "currency": "CNY"}
    assert "Bearer p" in literals
    assert "application/json" in literals
    assert '["window_start"] = 10.0' in chunk


def test_a_maximum_value_is_met_at_or_under_it_whatever_the_ratio() -> None:
    target = Target("≤ 500 µs", maximum_value=500.0)

    assert Figure("cpu per GET", 500.0, "µs", "bare", 100.0, target).met is True
    assert Figure("cpu per GET", 501.0, "µs", "bare", 1000.0, target).met is False
    assert Figure.from_json(Figure("x", 1.0, "µs", "b", 1.0, target).to_json()).target == target


def test_the_reads_figures_compare_with_the_bare_read_and_hold_the_cpu_budget() -> None:
    from bench.reads import Read, read_figures

    best = {
        "GET /v1/orders/{order_id}": Read(600.0, 0.02, 0.05, 0.4, 0),
        "bare GET /orders/{id}": Read(1000.0, 0.01, 0.03, 0.2, 0),
        "ours GET /ready": Read(2000.0, 0.005, 0.01, 0.1, 0),
        "bare GET /ready": Read(4000.0, 0.002, 0.008, 0.05, 0),
    }

    get, cpu, ready = read_figures(best, "")

    assert (get.ratio, get.met) == (0.6, True)
    assert (cpu.value, cpu.unit, cpu.met) == (400.0, "µs", True)
    assert ready.ratio == 0.5
    assert ready.met is None
