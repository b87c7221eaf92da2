"""What an optimisation is asked to do: strategy, data, windows, objectives, trials, seed.

The configuration travels as JSON in every fold study's user attributes, so a worker on
another machine (``swingdesk optimize worker --study NAME``) needs only the storage URL.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from swingdesk.domain.errors import InputError
from swingdesk.optimize.objectives import OBJECTIVES

MODES = ("rolling", "anchored")


@dataclass(frozen=True)
class OptimizeConfig:
    """One optimisation; ``trials`` is per walk-forward fold (each fold is its own study)."""

    study: str
    strategy: str
    data_dir: Path
    tickers: tuple[str, ...]
    start: date
    end: date
    objectives: tuple[str, ...] = ("sharpe",)
    trials: int = 50
    seed: int = 0
    folds: int = 4
    #: In-sample length as a multiple of the out-of-sample length (rolling windows).
    is_ratio: int = 3
    mode: str = "rolling"
    #: False optimises once over the whole range (in-sample only: nothing is out of sample).
    walk_forward: bool = True
    fixed: dict[str, Any] = field(default_factory=dict)
    risk_profile: str = "desk"
    initial_cash: Decimal = Decimal(100_000)
    slippage_bps: Decimal = Decimal(5)
    commission: Decimal = Decimal(0)

    def check(self) -> None:
        """Raise InputError naming the first setting that cannot work."""
        unknown = [o for o in self.objectives if o not in OBJECTIVES]
        if unknown or not self.objectives:
            raise InputError(
                f"--objective must be among {', '.join(OBJECTIVES)}, got {', '.join(unknown)}"
            )
        if len(set(self.objectives)) != len(self.objectives):
            raise InputError("--objective names one objective twice")
        if self.mode not in MODES:
            raise InputError(f"--mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        if self.trials < 1 or self.folds < 1 or self.is_ratio < 1:
            raise InputError("--trials, --folds and --is-ratio must be at least 1")
        if self.end <= self.start:
            raise InputError(f"--end {self.end} is not after --start {self.start}")
        if not self.study or len(self.study) > 100:
            raise InputError("--study needs a name of 1 to 100 characters")

    def to_json(self) -> str:
        """Return the configuration as JSON (dates ISO, Decimals and paths as strings)."""
        doc = asdict(self)
        doc |= {
            "data_dir": str(self.data_dir), "start": self.start.isoformat(),
            "end": self.end.isoformat(), "tickers": list(self.tickers),
            "objectives": list(self.objectives), "initial_cash": str(self.initial_cash),
            "slippage_bps": str(self.slippage_bps), "commission": str(self.commission),
        }  # fmt: skip
        return json.dumps(doc, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> OptimizeConfig:
        """Return the configuration ``to_json`` wrote."""
        doc = json.loads(text)
        return cls(
            **doc
            | {
                "data_dir": Path(doc["data_dir"]),
                "start": date.fromisoformat(doc["start"]),
                "end": date.fromisoformat(doc["end"]),
                "tickers": tuple(doc["tickers"]),
                "objectives": tuple(doc["objectives"]),
                "initial_cash": Decimal(doc["initial_cash"]),
                "slippage_bps": Decimal(doc["slippage_bps"]),
                "commission": Decimal(doc["commission"]),
            }
        )

    def with_study(self, name: str) -> OptimizeConfig:
        """Return the same configuration under another study name."""
        return replace(self, study=name)


@dataclass(frozen=True, slots=True)
class Fold:
    """One walk-forward step: optimise on ``is_`` sessions, then test on ``oos`` sessions."""

    index: int
    is_: tuple[int, int]
    oos: tuple[int, int] | None


def folds(sessions: int, config: OptimizeConfig) -> list[Fold]:
    """Return the folds as session index ranges [a, b) over ``sessions`` sessions.

    The last ``folds`` blocks of equal length are out of sample, one per fold; each fold's
    in-sample window ends where its block starts and is ``is_ratio`` blocks long (rolling)
    or reaches back to the first session (anchored). Without walk-forward, one fold covers
    everything in sample.
    """
    if not config.walk_forward:
        return [Fold(0, (0, sessions), None)]
    block = sessions // (config.folds + config.is_ratio)
    if block < 20:
        raise InputError(
            f"{sessions} sessions are too few for {config.folds} folds with in-sample ratio "
            f"{config.is_ratio} (each out-of-sample block needs at least 20 sessions)"
        )
    first_oos = sessions - config.folds * block
    out = []
    for k in range(config.folds):
        a = first_oos + k * block
        b = sessions if k == config.folds - 1 else a + block
        is_start = 0 if config.mode == "anchored" else a - config.is_ratio * block
        out.append(Fold(k, (is_start, a), (a, b)))
    return out
