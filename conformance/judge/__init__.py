"""Judging the answers: the check registry (checks) and the verdicts a lifecycle's checks leave at
each of its sites (sites)."""
