"""The simulated market's intraday price paths: grid, pinned wobble and range bounds (pure)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Path:
    """One ticker's intraday price path over one session or one gap between sessions."""

    start_s: int
    step_s: int
    steps: int
    price: Floats
    run_max: Floats
    run_min: Floats

    def at(self, t: float) -> int:
        """Return the grid step in effect at Unix time ``t``."""
        return min(self.steps, max(0, int((t - self.start_s) // self.step_s)))


def pinned_ou(eps: Floats, a: float) -> Floats:
    """Return an AR(1) path from 0 driven by ``eps``, pulled back to 0 at the last step."""
    x = np.empty(eps.size + 1)
    x[0], carry, block = 0.0, 0.0, 2048
    # Closed form x_k = a^k * cumsum(eps_j * a^-j), in blocks so a^-j never overflows.
    for lo in range(0, eps.size, block):
        e = eps[lo : lo + block]
        pw = a ** np.arange(1, e.size + 1)
        x[lo + 1 : lo + 1 + e.size] = pw * (carry + np.cumsum(e / pw))
        carry = float(x[lo + e.size])
    pinned: Floats = x - np.linspace(0.0, 1.0, x.size) * x[-1]
    return pinned


def bounded(dev: Floats, up: Floats, down: Floats) -> Floats:
    """Squash deviations smoothly into (-down, up) so the path stays inside the bar's range."""
    safe_up, safe_down = np.maximum(up, 1e-12), np.maximum(down, 1e-12)
    return np.where(
        dev >= 0, safe_up * np.tanh(dev / safe_up), safe_down * np.tanh(dev / safe_down)
    )
