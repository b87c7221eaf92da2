"""The strategy API: declared parameters, loading by name, dotted path, file and entry point,
the built-ins as API strategies, and the template `strategy new` writes."""

from __future__ import annotations

import importlib
import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar
from uuid import uuid4

import pytest
from tests.fakes.llm_fixtures import snapshot

from swingdesk.domain.enums import Action, TradingState
from swingdesk.domain.errors import InputError
from swingdesk.domain.portfolio import PortfolioState, PositionState
from swingdesk.strategy import loader
from swingdesk.strategy.agent import ApiStrategy, RulesStrategy
from swingdesk.strategy.api import Param, Proposal, StrategyParams, SwingStrategy, resolve_params
from swingdesk.strategy.builtin_rules import RulesSwing
from swingdesk.strategy.crossover import CrossoverStrategy, CrossoverSwing
from swingdesk.strategy.rules import RuleParams
from swingdesk.strategy.template import write_template

USER = '''
from typing import ClassVar
from swingdesk.domain.enums import Action
from swingdesk.strategy.api import Param, Proposal, SwingStrategy

class Mine(SwingStrategy):
    """A user's strategy."""
    name: ClassVar[str] = "mine-v1"
    parameters: ClassVar[tuple[Param, ...]] = (Param("k", "int", 3, low=1, high=9),)

    def decide(self, snapshot, position, params):
        return Proposal(Action.HOLD, 0.5, f"k={params['k']}", {})
'''


def test_param_when_value_outside_range_then_refused() -> None:
    p = Param("x", "float", 1.0, low=0.0, high=2.0)
    assert p.coerce("1.5") == 1.5
    with pytest.raises(ValueError, match="outside"):
        p.coerce(3)
    with pytest.raises(ValueError, match="not finite"):
        p.coerce(float("nan"))


def test_param_when_default_outside_range_then_declaration_refused() -> None:
    with pytest.raises(ValueError, match="outside"):
        Param("x", "int", 10, low=0, high=5)


def test_resolve_params_when_unknown_name_then_refused_naming_the_known_ones() -> None:
    with pytest.raises(ValueError, match="has no parameter nope"):
        resolve_params(CrossoverSwing, {"nope": 1})


def test_resolve_params_when_int_given_as_text_then_coerced_and_hashable() -> None:
    values = resolve_params(RulesSwing, {"earnings_caution_days": "7"})
    assert values["earnings_caution_days"] == 7
    assert hash(values) == hash(resolve_params(RulesSwing, {"earnings_caution_days": 7}))


def test_build_strategy_when_builtin_names_then_the_fast_runners_with_params() -> None:
    rules = loader.build_strategy("rules", {"pullback_atr": 0.5})
    assert isinstance(rules, RulesStrategy)
    assert rules.params == RuleParams(pullback_atr=0.5)
    assert rules.name == "rules-v1"
    assert isinstance(loader.build_strategy("crossover"), CrossoverStrategy)


def test_builtin_rules_when_defaults_then_recorded_params_equal_the_old_rule() -> None:
    spec = RulesSwing()
    assert spec.record(resolve_params(spec)) == RulesStrategy().params_json()


def test_load_spec_when_unknown_name_then_input_error_lists_names() -> None:
    with pytest.raises(InputError, match="crossover, rules"):
        loader.load_spec("nope")


def test_load_spec_when_file_path_then_class_loaded(tmp_path: Path) -> None:
    path = tmp_path / "mine.py"
    path.write_text(USER)
    runner = loader.build_strategy(f"{path}:Mine", {"k": 5})
    assert runner.name == "mine-v1"
    assert runner.values == StrategyParams({"k": 5})


def test_load_spec_when_dotted_path_then_class_loaded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pkg = tmp_path / "userpkg_api"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "strat.py").write_text(USER)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert loader.load_spec("userpkg_api.strat:Mine").name == "mine-v1"


def test_load_spec_when_class_is_not_a_strategy_then_refused(tmp_path: Path) -> None:
    path = tmp_path / "bad.py"
    path.write_text("class NotOne: pass\n")
    with pytest.raises(InputError, match="not a SwingStrategy"):
        loader.load_spec(f"{path}:NotOne")


def test_load_spec_when_module_raises_then_input_error_with_reason(tmp_path: Path) -> None:
    path = tmp_path / "broken.py"
    path.write_text("raise RuntimeError('boom')\n")
    with pytest.raises(InputError, match="RuntimeError: boom"):
        loader.load_spec(f"{path}:X")


class _EntryPoint:
    def __init__(self, name: str, value: str) -> None:
        self.name, self.value = name, value


def test_registered_when_entry_point_installed_then_listed_and_loadable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "plugin.py"
    path.write_text(USER)

    def fake(group: str) -> list[Any]:
        assert group == "swingdesk.strategies"
        return [_EntryPoint("mine", f"{path}:Mine")]

    monkeypatch.setattr(loader, "entry_points", fake)
    assert loader.load_spec("mine").name == "mine-v1"
    keys = {i.key: i for i in loader.installed()}
    assert set(keys) == {"crossover", "mine", "rules"}
    assert [p.name for p in keys["mine"].parameters] == ["k"]
    assert keys["rules"].vectorised
    assert not keys["mine"].vectorised


def test_write_params_file_when_read_back_then_same(tmp_path: Path) -> None:
    path = tmp_path / "best.json"
    loader.write_params_file(path, "rules", {"pullback_atr": 0.5})
    assert loader.read_params_file(path) == ("rules", {"pullback_atr": 0.5})


def test_strategy_new_when_written_then_template_loads_and_its_tests_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, test = write_template("my momentum", tmp_path)
    assert (source.name, test.name) == ("my_momentum.py", "test_my_momentum.py")
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = loader.load_spec("my_momentum:MyMomentumStrategy")
    assert spec.has_signals()
    assert spec.parameters[0].name == "margin_atr"
    generated = importlib.import_module("test_my_momentum")
    try:
        for name in dir(generated):
            if name.startswith("test_"):
                getattr(generated, name)()
    finally:
        sys.modules.pop("test_my_momentum", None)
        sys.modules.pop("my_momentum", None)
    with pytest.raises(InputError, match="already exists"):
        write_template("my momentum", tmp_path)


class _ScaleOut(SwingStrategy):
    """Sells a third of a held position; buys when flat."""

    name: ClassVar[str] = "scale-out-test"

    def decide(self, snapshot: Any, position: Any, params: Any) -> Proposal:
        if position is None:
            return Proposal(Action.BUY, 0.9, "flat", {}, close_fraction=0.5)
        return Proposal(Action.SELL, 0.9, "trim", {}, close_fraction=1 / 3)


async def test_evaluate_when_proposal_sells_a_fraction_then_the_signal_carries_it() -> None:
    now = datetime(2024, 6, 3, 15, 0, tzinfo=UTC)

    def book(*held: str) -> PortfolioState:
        positions = tuple(
            PositionState(
                ticker=t, qty=Decimal(9), avg_price=Decimal(100), market_price=Decimal(100)
            )
            for t in held
        )
        cash = Decimal(100_000)
        return PortfolioState(
            cash=cash,
            buying_power=cash,
            high_water_mark=cash,
            start_of_day_equity=cash,
            positions=positions,
            trading_state=TradingState.ACTIVE,
            as_of=now,
        )

    strategy = ApiStrategy(_ScaleOut())
    sell = await strategy.evaluate(
        uuid4(), snapshot(), book("AAPL"), (Action.SELL, Action.HOLD), now
    )
    assert sell.action is Action.SELL
    assert sell.close_fraction == Decimal(repr(1 / 3))
    buy = await strategy.evaluate(uuid4(), snapshot(), book(), (Action.BUY, Action.HOLD), now)
    assert buy.action is Action.BUY
    assert buy.close_fraction is None  # a fraction means nothing on an entry
