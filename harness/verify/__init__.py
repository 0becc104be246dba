"""`harness verify ansira`: contract probes against the user's Ansira and the mock, compared; record and replay.

See docs/going-live.md for the workflow and the probe list.
"""
