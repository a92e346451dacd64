"""bte: a local SageMaker Batch Transform.

The same CreateTransformJob request that boto3 takes runs on your own machine,
against the same model container, and leaves the same ``.out`` files.
"""

__version__ = "0.1.0"
