"""Periodic jobs (deadline sweep, outbox delivery, daily digest) and the scheduler that runs them."""
