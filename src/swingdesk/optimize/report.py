"""The optimisation's report: out-of-sample results, overfitting figures and plain warnings,
as a JSON document and a self-contained HTML page like the backtest's."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from optuna.trial import FrozenTrial

from swingdesk.backtest import charts
from swingdesk.backtest.metrics import sharpe
from swingdesk.backtest.result import return_metrics
from swingdesk.optimize.config import Fold, OptimizeConfig
from swingdesk.optimize.evaluate import WindowRun
from swingdesk.optimize.objectives import deflated_sharpe, measure

#: Below this the best trial's Sharpe is not distinguishable from luck over the trials.
DSR_MIN = 0.95
#: Out-of-sample Sharpe below this share of the in-sample one: performance decayed.
DECAY_WARN = 0.5


@dataclass(frozen=True)
class FoldOutcome:
    """One fold after its study: the chosen trial, its IS and OOS runs, the study's figures."""

    fold: Fold
    best: FrozenTrial
    front: list[FrozenTrial]
    trials: list[FrozenTrial]
    failed: int
    oos_run: WindowRun | None
    importance: dict[str, float]


def _cents(x: Decimal) -> Decimal:
    return x.quantize(Decimal("0.01"))


def _r(x: float) -> float:
    return round(x, 6)


def _window(run: WindowRun) -> list[str]:
    return [run.days[0].isoformat(), run.days[-1].isoformat()] if run.days else []


def stitch(runs: list[WindowRun], initial: Decimal) -> tuple[list[Any], list[Decimal]]:
    """Chain the blocks' daily returns into one curve starting at ``initial``."""
    days: list[Any] = []
    equity: list[Decimal] = []
    level = initial
    for r in runs:
        if not r.equity:
            continue
        base = r.equity[0]
        for d, e in zip(r.days, r.equity, strict=True):
            days.append(d)
            equity.append(level * e / base if base else level)
        level = equity[-1]
    return days, equity


def _fold_doc(config: OptimizeConfig, o: FoldOutcome) -> dict[str, Any]:
    sr = float(o.best.user_attrs["sharpe_daily"])
    skew, kurt, n = o.best.user_attrs["moments"]
    trial_srs = [float(t.user_attrs.get("sharpe_daily", 0.0)) for t in o.trials]
    dsr = deflated_sharpe(sr, float(skew), float(kurt), int(n), trial_srs)
    is_values: dict[str, float] = o.best.user_attrs["values"]
    doc: dict[str, Any] = {
        "index": o.fold.index,
        "in_sample": list(o.best.user_attrs["window"]),
        "out_of_sample": _window(o.oos_run) if o.oos_run else None,
        "trials_complete": len(o.trials),
        "trials_failed": o.failed,
        "best_trial": o.best.number,
        "best_params": dict(o.best.params),
        "in_sample_values": {k: _r(v) for k, v in is_values.items()},
        "in_sample_sharpe": _r(float(o.best.user_attrs["sharpe"])),
        "deflated_sharpe": _r(dsr),
        "param_importance": {k: _r(v) for k, v in o.importance.items()},
    }
    if o.oos_run is not None:
        oos = measure(config.objectives, o.oos_run.days, o.oos_run.equity, o.oos_run.trades)
        doc["out_of_sample_values"] = {k: _r(v) for k, v in oos.items()}
        doc["out_of_sample_sharpe"] = _r(sharpe(o.oos_run.equity))
    if len(config.objectives) > 1:
        doc["pareto_front"] = [
            {"trial": t.number, "params": dict(t.params),
             "values": dict(zip(config.objectives, map(_r, t.values), strict=True))}
            for t in o.front
        ]  # fmt: skip
    return doc


def _warnings(folds: list[dict[str, Any]], oos_sharpe: float | None) -> list[str]:
    out = []
    weak = [f["index"] for f in folds if f["deflated_sharpe"] < DSR_MIN]
    if weak:
        out.append(
            f"In fold(s) {', '.join(map(str, weak))} the best in-sample Sharpe ratio is not "
            f"convincingly better than the best of that many random tries (deflated Sharpe "
            f"below {DSR_MIN}): the winning parameters may simply be lucky."
        )
    if oos_sharpe is None:
        out.append(
            "No out-of-sample test was run: every figure here is in-sample and flatters the "
            "strategy. Use walk-forward (the default) before trusting the parameters."
        )
        return out
    mean_is = sum(f["in_sample_sharpe"] for f in folds) / len(folds)
    if mean_is > 0 and oos_sharpe < DECAY_WARN * mean_is:
        out.append(
            f"Out of sample the Sharpe ratio falls from {mean_is:.2f} (in-sample average) to "
            f"{oos_sharpe:.2f}: the parameters fit the past better than they predict; expect "
            "live results closer to the out-of-sample figure, or worse."
        )
    if oos_sharpe <= 0:
        out.append("Out of sample the strategy did not earn a positive risk-adjusted return.")
    return out


def _decay(folds: list[dict[str, Any]], oos_sharpe: float | None) -> float | None:
    mean_is = sum(f["in_sample_sharpe"] for f in folds) / len(folds)
    if oos_sharpe is None or mean_is <= 0:
        return None
    return _r(1 - oos_sharpe / mean_is)


def build_report(
    config: OptimizeConfig, outcomes: list[FoldOutcome], workers: int, shared_storage: bool
) -> dict[str, Any]:
    """Return the report document (JSON-ready)."""
    folds = [_fold_doc(config, o) for o in outcomes]
    oos_runs = [o.oos_run for o in outcomes if o.oos_run is not None]
    doc: dict[str, Any] = {
        "study": config.study,
        "config": json.loads(config.to_json()),
        "workers": workers,
        "shared_storage": shared_storage,
        "folds": folds,
        "trials": sum(f["trials_complete"] for f in folds),
    }
    oos_sharpe = None
    if oos_runs:
        days, equity = stitch(oos_runs, config.initial_cash)
        trades = [t for r in oos_runs for t in r.trades]
        oos_sharpe = sharpe(equity)
        doc["out_of_sample"] = {
            "metrics": return_metrics(days, equity)
            | {"final_equity": str(_cents(equity[-1])), "trades": len(trades)},
            "objectives": {
                k: _r(v) for k, v in measure(config.objectives, days, equity, trades).items()
            },
            "days": [
                {"date": d.isoformat(), "equity": str(_cents(e))}
                for d, e in zip(days, equity, strict=True)
            ],
        }
    doc["overfitting"] = {
        "deflated_sharpe_min": min(f["deflated_sharpe"] for f in folds),
        "in_sample_sharpe_mean": _r(sum(f["in_sample_sharpe"] for f in folds) / len(folds)),
        "out_of_sample_sharpe": None if oos_sharpe is None else _r(oos_sharpe),
        # The share of the in-sample Sharpe lost out of sample (None without a positive one).
        "sharpe_decay": _decay(folds, oos_sharpe),
        "warnings": _warnings(folds, oos_sharpe),
    }
    last = outcomes[-1]
    doc["recommended_params"] = config.fixed | dict(last.best.params)
    return doc


def render(doc: dict[str, Any]) -> str:
    """Return the report as one self-contained HTML page (no script, inline SVG)."""
    from swingdesk.backtest.report import _STYLE

    e = html.escape
    title = f"Optimisation {e(doc['study'])}: {e(doc['config']['strategy'])}"
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>"
             f"<style>{_STYLE}</style></head><body><h1>{title}</h1>"]  # fmt: skip
    parts += [f'<p class="warn">{e(w)}</p>' for w in doc["overfitting"]["warnings"]]
    oos = doc.get("out_of_sample")
    if oos is not None:
        parts.append("<h2>Out of sample (the result)</h2><table>")
        parts += [
            f'<tr><th class="l">{e(k)}</th><td data-key="{e(k)}" '
            f'data-value="{e(str(v))}">{e(str(v))}</td></tr>'
            for k, v in oos["metrics"].items()
        ]
        parts.append("</table>")
        dates = [d["date"] for d in oos["days"]]
        values = [float(Decimal(d["equity"])) for d in oos["days"]]
        parts.append(charts.line_chart("walk-forward out-of-sample equity", dates,
                                       [charts.Series("equity", "#0969da", values)]))  # fmt: skip
    of = doc["overfitting"]
    parts.append(
        "<h2>Overfitting</h2><table>"
        f"<tr><th class='l'>lowest deflated Sharpe</th><td>{of['deflated_sharpe_min']}</td></tr>"
        f"<tr><th class='l'>in-sample Sharpe (mean)</th><td>{of['in_sample_sharpe_mean']}</td>"
        f"</tr><tr><th class='l'>out-of-sample Sharpe</th><td>{of['out_of_sample_sharpe']}</td>"
        f"</tr><tr><th class='l'>Sharpe decay (IS to OOS)</th><td>{of['sharpe_decay']}</td>"
        "</tr></table><h2>Folds</h2><table><tr><th>fold</th><th class='l'>in sample</th>"
        "<th class='l'>out of sample</th><th>trials</th><th>IS Sharpe</th><th>OOS Sharpe</th>"
        "<th>deflated Sharpe</th><th class='l'>best parameters</th></tr>"
    )
    parts += [
        f"<tr><td>{f['index']}</td><td class='l'>{e(' .. '.join(f['in_sample']))}</td>"
        f"<td class='l'>{e(' .. '.join(f['out_of_sample'] or []))}</td>"
        f"<td>{f['trials_complete']}</td><td>{f['in_sample_sharpe']}</td>"
        f"<td>{f.get('out_of_sample_sharpe', '–')}</td><td>{f['deflated_sharpe']}</td>"
        f"<td class='l'>{e(json.dumps(f['best_params'], sort_keys=True))}</td></tr>"
        for f in doc["folds"]
    ]
    parts.append("</table><h2>Recommended parameters (last fold)</h2><pre>"
                 f"{e(json.dumps(doc['recommended_params'], indent=2, sort_keys=True))}</pre>"
                 "</body></html>")  # fmt: skip
    return "".join(parts)
