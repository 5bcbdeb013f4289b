"""Screening of projects by the zone's principles (三不招, 五不搞): rule catalogue, verdicts, overrides."""
