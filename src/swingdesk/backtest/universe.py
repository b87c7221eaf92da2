"""Which tickers a backtest runs on, and why the others were left out.

The CSV provider refuses a whole directory when one file is bad (all or nothing, right
for a live desk). A backtest over hundreds of files instead skips what it cannot use and
says why: a ticker whose file fails validation, that has no file, that has no bar in the
window, or that has fewer than ``MIN_BARS`` bars up to the end date (the strategies need
SMA-50 and yesterday's SMA-50). The tickers kept are linked into a staging directory with
the market-wide files (vix, sectors, earnings), so the engines load only what they use.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from swingdesk.adapters.csv_market import RESERVED, Bars, CsvDataError, load_bars
from swingdesk.adapters.csv_market import ticker_files as csv_ticker_files
from swingdesk.domain.calendar import day_number
from swingdesk.domain.errors import ConfigurationError, InputError

#: Bars needed up to the end date: SMA-50 today and yesterday.
MIN_BARS = 51


@dataclass(frozen=True, slots=True)
class Universe:
    """The tickers to run, their validated bars, and the skipped ones with reasons."""

    tickers: tuple[str, ...]
    bars: dict[str, Bars]
    skipped: dict[str, str]


def ticker_files(directory: Path) -> dict[str, Path]:
    """Return every TICKER.csv of ``directory`` by ticker (the CSV provider's naming rule)."""
    if not directory.is_dir():
        raise InputError(f"data directory {directory} does not exist")
    return csv_ticker_files(directory)


def _load_valid(files: dict[str, Path], skipped: dict[str, str]) -> dict[str, Bars]:
    """Load every file, dropping the ones that fail validation (recorded in ``skipped``)."""
    by_name = {p.name: t for t, p in files.items()}
    left = dict(files)
    while left:
        try:
            return load_bars(left)
        except CsvDataError as exc:
            bad = {p.file for p in exc.problems}
            for problem in exc.problems:
                ticker = by_name.get(problem.file)
                if ticker is not None and ticker in left:
                    skipped[ticker] = f"bad data: {problem}"
                    del left[ticker]
            if not bad & set(by_name):
                raise  # a problem not tied to a ticker file: do not loop forever
    return {}


def resolve(
    directory: Path,
    requested: Sequence[str],
    *,
    universe_all: bool,
    start: date,
    end: date,
    min_bars: int = MIN_BARS,
) -> Universe:
    """Return the tickers with enough valid history in ``directory`` for ``start``..``end``."""
    files = ticker_files(directory)
    skipped: dict[str, str] = {}
    if universe_all:
        wanted = list(files)
    else:
        wanted = list(dict.fromkeys(requested))
        for t in wanted:
            if t not in files:
                skipped[t] = f"no {t}.csv in the data directory"
    bars = _load_valid({t: files[t] for t in wanted if t in files}, skipped)
    lo, hi = day_number(start), day_number(end)
    kept: list[str] = []
    for t in wanted:
        b = bars.get(t)
        if b is None:
            continue
        upto = int(np.searchsorted(b.days, hi, side="right"))
        inside = upto - int(np.searchsorted(b.days, lo, side="left"))
        if inside <= 0:
            skipped[t] = f"no bar between {start} and {end}"
        elif upto < min_bars:
            first = np.datetime64(int(b.days[0]), "D")
            skipped[t] = f"only {upto} bars up to {end} (needs {min_bars}); data starts {first}"
        else:
            kept.append(t)
    return Universe(tuple(kept), {t: bars[t] for t in kept}, skipped)


def stage(directory: Path, tickers: Sequence[str], target: Path) -> Path:
    """Link the tickers' files and the market-wide files of ``directory`` into ``target``."""
    files = ticker_files(directory)
    target.mkdir(parents=True, exist_ok=True)
    names = [files[t].name for t in tickers]
    names += [f"{r}.csv" for r in RESERVED if (directory / f"{r}.csv").is_file()]
    for name in names:
        source = (directory / name).resolve()
        try:
            os.symlink(source, target / name)
        except OSError:
            shutil.copyfile(source, target / name)  # file systems without symlinks
    if not names:
        raise ConfigurationError(f"nothing to stage from {directory}")
    return target
