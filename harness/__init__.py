"""Local simulator and test harness for the Lytics -> Ansira webhook user enrichment."""

__version__ = "0.1.0"
