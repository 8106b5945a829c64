"""`wattcast cost`: what Wattcast costs a month on AWS for N households.

usage.py holds the measured inputs (usage.json, written by `wattcast cost measure` on a replay through
the embedded stack), prices.toml the dated public prices, sizing.py what Terraform deploys, model.py
the arithmetic (pure), measure.py the measurement.
"""
