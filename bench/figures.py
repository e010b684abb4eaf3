"""What a benchmark reports: a figure, the baseline it is compared with, and the target."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Target:
    """A goal for a figure: a minimum (or maximum: costs, latencies) ratio to its baseline
    and/or a minimum value."""

    text: str
    minimum_ratio: float | None = None
    minimum_value: float | None = None
    maximum_ratio: float | None = None
    maximum_value: float | None = None

    def met_by(self, value: float, ratio: float) -> bool:
        if self.minimum_ratio is not None and ratio < self.minimum_ratio:
            return False
        if self.maximum_ratio is not None and not ratio <= self.maximum_ratio:
            return False
        if self.maximum_value is not None and not value <= self.maximum_value:
            return False
        return self.minimum_value is None or value >= self.minimum_value


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured rate next to the baseline measured in the same run."""

    label: str
    value: float
    unit: str
    baseline_label: str
    baseline_value: float
    target: Target | None = None
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.value / self.baseline_value if self.baseline_value else float("inf")

    @property
    def met(self) -> bool | None:
        """None when the figure is for information and has no target."""
        return None if self.target is None else self.target.met_by(self.value, self.ratio)

    def to_json(self) -> dict[str, Any]:
        document = asdict(self)
        document["ratio"] = self.ratio
        document["met"] = self.met
        return document

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> Figure:
        target = document.get("target")
        return cls(
            label=document["label"],
            value=document["value"],
            unit=document["unit"],
            baseline_label=document["baseline_label"],
            baseline_value=document["baseline_value"],
            target=Target(**target) if target else None,
            note=document.get("note", ""),
        )

    def line(self) -> str:
        """The figure as one console line."""
        verdict = {None: "", True: "  target met", False: "  TARGET MISSED"}[self.met]
        target = f" (target {self.target.text})" if self.target else ""
        return (
            f"  {self.label:<46} {self.value:>10,.0f} {self.unit}"
            f"  vs {self.baseline_label} {self.baseline_value:,.0f}"
            f"  = {self.ratio:.2f}x{target}{verdict}"
        )


CLEAR_BASELINE = "same, receiver in clear (v1)"
NOT_OPENING_BASELINE = "same, receivers not opened"


def cost_per_event(value: float, baseline: float) -> str:
    """What the difference between two rates (events/s) costs each event, in wall-clock µs."""
    if value <= 0 or baseline <= 0:
        return ""
    return f"{1e6 / value - 1e6 / baseline:+,.1f} µs per event"


def sealing_cost(
    label: str, sealed: float, baseline: float, baseline_label: str, detail: str = ""
) -> Figure:
    """A rate with sealed receivers next to the same run without (clear, or not opened)."""
    note = "; ".join(part for part in (cost_per_event(sealed, baseline), detail) if part)
    return Figure(label, sealed, "events/s", baseline_label, baseline, note=note)
