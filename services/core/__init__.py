"""Wattcast's shared core: settings, AWS clients, the reading contract and data helpers."""
