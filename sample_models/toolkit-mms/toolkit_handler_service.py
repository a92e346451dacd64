"""The handler service MMS calls: the toolkit's Transformer with its DefaultInferenceHandler.

The framework containers (PyTorch, scikit-learn) ship a module of this shape with their own
default handler in place of DefaultInferenceHandler; this one keeps the toolkit's, so that
what the container does is exactly the toolkit's contract. The user's inference.py is
imported from /opt/ml/model/code (on PYTHONPATH, set by the toolkit's model_server).
MMS instantiates the one class defined in this module.
"""

from sagemaker_inference.default_handler_service import DefaultHandlerService
from sagemaker_inference.default_inference_handler import DefaultInferenceHandler
from sagemaker_inference.transformer import Transformer


class HandlerService(DefaultHandlerService):
    def __init__(self):
        super().__init__(transformer=Transformer(default_inference_handler=DefaultInferenceHandler()))
