"""The frame a strategy's ``signals`` reads, and its entry mask (pandas; pure)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from swingdesk.strategy.api import StrategyParams, SwingStrategy

_EPOCH = np.datetime64("1970-01-01", "D")


def signal_frame(
    days: npt.NDArray[np.int64],
    open_: npt.NDArray[np.float64],
    high: npt.NDArray[np.float64],
    low: npt.NDArray[np.float64],
    close: npt.NDArray[np.float64],
    volume: npt.NDArray[np.float64],
    atr_14: npt.NDArray[np.float64],
    sma_20: npt.NDArray[np.float64],
    sma_50: npt.NDArray[np.float64],
    adv_20: npt.NDArray[np.float64],
) -> pd.DataFrame:
    """Return one ticker's bars and desk indicators, indexed by session date."""
    index = pd.DatetimeIndex(_EPOCH + days.astype("timedelta64[D]"), name="date")
    return pd.DataFrame(
        {
            "open": open_, "high": high, "low": low, "close": close, "volume": volume,
            "atr_14": atr_14, "sma_20": sma_20, "sma_50": sma_50, "adv_20": adv_20,
        },
        index=index,
    )  # fmt: skip


def signal_table(spec: SwingStrategy, frame: pd.DataFrame, params: StrategyParams) -> pd.DataFrame:
    """Return ``signals`` as a DataFrame with an ``entry`` column aligned with ``frame``."""
    out = spec.signals(frame, params)
    if out is None:
        return pd.DataFrame({"entry": np.ones(len(frame), dtype=np.bool_)}, index=frame.index)
    if isinstance(out, pd.Series):
        out = out.to_frame("entry")
    if not isinstance(out, pd.DataFrame) or "entry" not in out.columns:
        raise ValueError(f"{spec.name}.signals must return a DataFrame with an 'entry' column")
    if len(out) != len(frame):
        raise ValueError(f"{spec.name}.signals returned {len(out)} rows for {len(frame)} bars")
    return out


def entry_mask(
    spec: SwingStrategy, frame: pd.DataFrame, params: StrategyParams
) -> npt.NDArray[np.bool_]:
    """Return, per bar, whether ``decide`` may BUY on its evening (all True without signals)."""
    entry = signal_table(spec, frame, params)["entry"]
    return np.asarray(entry.fillna(False).to_numpy(dtype=bool), dtype=np.bool_)
