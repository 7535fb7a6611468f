"""Operator scripts run by the Makefile (system packages for the tests, `make run`)."""
