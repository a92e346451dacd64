"""The model side of bte: a small server that gives any ``inference.py`` the SageMaker container contract.

``python -m emulator.serving serve`` answers ``GET /ping``, ``POST /invocations`` and
``GET /execution-parameters`` for the handlers in ``$SAGEMAKER_SUBMIT_DIRECTORY/$SAGEMAKER_PROGRAM``
(see docs/serving.md). This package imports nothing else of bte: it is copied as source into
model images, which need only fastapi and uvicorn.
"""
