"""What ``bte plan`` adds to the plan (emulator/plan.py): every input scanned by the run's
own batching code, warnings with their fixes, DataProcessing on the first record.

- ``scan.py``: one object's mini-batches, pure (storage hands it a reader)
- ``checks.py``: job-wide warnings (DataProcessing, AssembleWith, where outputs go)
- ``preview.py``: DataProcessing on the first record and a sample answer
- ``survey.py``: the I/O edge: opens the inputs as the engine does, lists the output path
- ``render.py``: the plan as text and as JSON
- ``split.py``: ``bte split``, a CSV cut into parts that each keep the header row
"""

from emulator.planning.render import plan_dict, plan_text
from emulator.planning.scan import BatchSpan, ObjectScan, scan_object
from emulator.planning.survey import Scenario, Survey, output_warnings, survey

__all__ = ["BatchSpan", "ObjectScan", "Scenario", "Survey", "output_warnings", "plan_dict", "plan_text",
           "scan_object", "survey"]
