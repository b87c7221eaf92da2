"""Backtests: replay trading days through the live pipeline with simulated adapters."""
