"""Adapters: the only code that talks to vendors, simulators and the system clock."""
