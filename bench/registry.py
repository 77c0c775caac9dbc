"""Scenarios, the rows they report and the targets those rows are judged against."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from bench.context import BenchContext

Op = Literal["<=", ">=", "<", "=="]
_OP_SIGN: dict[Op, str] = {"<=": "≤", ">=": "≥", "<": "<", "==": "="}


@dataclass(frozen=True)
class Target:
    """A bound a measured value must respect, e.g. ``Target("<=", 1.10)``."""

    op: Op
    value: float

    def met(self, measured: float) -> bool:
        """Whether ``measured`` respects the bound."""
        if self.op == "<=":
            return measured <= self.value
        if self.op == ">=":
            return measured >= self.value
        if self.op == "<":
            return measured < self.value
        return measured == self.value


@dataclass(frozen=True)
class Row:
    """One line of the results table: what was measured, ours beside raw, and the verdict."""

    scenario: str
    measure: str
    ours: str
    raw: str
    value: float
    target: Target | None = None
    unit: str = ""
    digits: int = 2

    def format_value(self, value: float | None = None) -> str:
        """``value`` (default: the measured one) with this row's digits and unit."""
        number = self.value if value is None else value
        return f"{number:,.{self.digits}f}{self.unit}"

    @property
    def target_text(self) -> str:
        """The target as a reader expects it (``≤ 1.10``), or ``report`` when there is none."""
        if self.target is None:
            return "report"
        return f"{_OP_SIGN[self.target.op]} {self.format_value(self.target.value)}"

    @property
    def status(self) -> str:
        """``met``, ``MISSED`` or ``-`` (no target)."""
        if self.target is None:
            return "-"
        return "met" if self.target.met(self.value) else "MISSED"


@dataclass
class ScenarioResult:
    """What one scenario produced: its rows, free-text notes, and how long it took."""

    name: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None


ScenarioFunc = Callable[["BenchContext"], ScenarioResult]


@dataclass(frozen=True)
class Scenario:
    """A named benchmark: ``run`` measures ours and raw in the same run and returns the rows."""

    name: str
    title: str
    run: ScenarioFunc


SCENARIOS: dict[str, Scenario] = {}


def scenario(name: str, title: str) -> Callable[[ScenarioFunc], ScenarioFunc]:
    """Register the decorated function as the scenario ``name`` (the ``--only`` key)."""

    def register(func: ScenarioFunc) -> ScenarioFunc:
        if name in SCENARIOS:
            raise ValueError(f"scenario {name!r} registered twice")
        SCENARIOS[name] = Scenario(name=name, title=title, run=func)
        return func

    return register
