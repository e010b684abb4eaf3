"""`/ready`'s dependency checks are kept for a second and shared by concurrent probes."""

from __future__ import annotations

import asyncio

from eventing.health import DependencyChecks


class _Counted(DependencyChecks):
    """Checks that count their calls and fail while `down` is set, on a hand-moved clock."""

    def __init__(self) -> None:
        self.now = 0.0
        super().__init__("postgresql://unused/unused", "unused:9092", monotonic=lambda: self.now)
        self.calls = 0
        self.down = False

    async def postgres(self) -> None:
        self.calls += 1
        await asyncio.sleep(0.01)  # concurrent probes arrive while this one runs
        if self.down:
            raise OSError("connection refused")

    async def kafka(self) -> None:
        return None


async def test_probes_within_a_second_share_one_check_and_say_how_old_it_is() -> None:
    checks = _Counted()

    answers = await asyncio.gather(*(checks.run() for _ in range(20)))
    checks.now = 0.4
    later = await checks.run()

    assert checks.calls == 1
    assert {answer["postgres"]["status"] for answer in answers} == {"up"}
    assert later["postgres"]["age_ms"] == 400.0
    assert later["kafka"]["status"] == "up"


async def test_an_outage_shows_once_the_last_answer_is_a_second_old() -> None:
    checks = _Counted()
    assert (await checks.run())["postgres"]["status"] == "up"
    checks.down = True

    checks.now = 0.9
    assert (await checks.run())["postgres"]["status"] == "up"  # at most max_age late
    checks.now = 1.0
    found = await checks.run()

    assert found["postgres"]["status"] == "down"
    assert "connection refused" in found["postgres"]["error"]
    assert found["postgres"]["age_ms"] == 0.0
    assert checks.calls == 2
