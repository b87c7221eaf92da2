"""The deterministic risk desk: limits, rules, sizing, trading state. Pure; no I/O."""

from swingdesk.risk.limits import RiskLimits
from swingdesk.risk.manager import RiskManager, assess_account

__all__ = ["RiskLimits", "RiskManager", "assess_account"]
