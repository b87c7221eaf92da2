"""Walk-forward parameter optimisation of strategy-API strategies on Optuna."""
