"""Local simulator and test harness for the Lytics -> Ansira webhook user enrichment."""

from harness import astguard

astguard.install()  # before any thread of ours can parse: see harness/astguard.py

__version__ = "0.1.0"
