"""``bte report``: a finished run's event record (the store's ``events.jsonl``) drawn as one
offline HTML file, with a text summary.

- ``timeline.py``: events in, lanes, bars and per-instance figures out (pure)
- ``ranges.py``: each mini-batch's byte range, from the plan's scan with the run's parameters
- ``html.py``: the Plotly charts and tables, in one self-contained file
- ``summary.py``: finding a run in the store, the text summary, writing the file
"""

from emulator.report.summary import load_events, find_run, summary_text, write_report
from emulator.report.timeline import Bar, InstanceStats, Timeline, build_timeline

__all__ = ["Bar", "InstanceStats", "Timeline", "build_timeline", "find_run", "load_events", "summary_text",
           "write_report"]
