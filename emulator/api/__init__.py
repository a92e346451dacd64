"""``bte serve``: the SageMaker-compatible control plane on one local endpoint.

AWS JSON 1.1 for SageMaker (models, transform jobs, tags) and CloudWatch Logs (the
TransformJobs log group), with moto's S3 and STS on the same port (``app.py``). Jobs run
in the background through the Python API (``jobs.py``) and are kept in the job store
(``emulator.store``). See docs/api.md.
"""

from emulator.api.server import serve
from emulator.api.settings import ServerSettings

__all__ = ["ServerSettings", "serve"]
