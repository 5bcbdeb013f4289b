"""Comprehensive evaluation: scoring schemes, scores and grades, fast-track and review meetings (联审会)."""
