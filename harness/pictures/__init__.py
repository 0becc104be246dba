"""Pictures of a run: timelines computed from what a run recorded, an HTML report, and a live console."""
