"""Helpers of the reliability tests: shared test support and small scripts run as subprocesses."""
