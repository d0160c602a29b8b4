"""Loads functions/<name>/app.py and invokes handlers as the Lambda runtime would."""

from __future__ import annotations

import importlib.util
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from crm_finance.devstack.template import FunctionSpec, functions

_loaded: dict[str, ModuleType] = {}
_load_lock = threading.Lock()


@dataclass
class LambdaContext:
    """The attributes of the real ``LambdaContext`` that handlers and Powertools read."""

    function_name: str
    memory_limit_in_mb: int = 512
    timeout_seconds: int = 15
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = ""
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self.invoked_function_arn = (
            f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"
        )
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def load_function(logical_id: str) -> ModuleType:
    """Import a function's module once per process, as a warm Lambda instance keeps it."""
    with _load_lock:
        module = _loaded.get(logical_id)
        if module is not None:
            return module
        spec = functions()[logical_id]
        module_file, _ = spec.handler.split(".", 1)
        path = spec.code_dir / f"{module_file}.py"
        name = f"crm_functions.{spec.code_dir.name}.{module_file}"
        import_spec = importlib.util.spec_from_file_location(name, path)
        assert import_spec and import_spec.loader
        module = importlib.util.module_from_spec(import_spec)
        sys.modules[name] = module
        import_spec.loader.exec_module(module)
        _loaded[logical_id] = module
        return module


def unload_functions() -> None:
    """Forget loaded modules: the next invoke is a cold start."""
    with _load_lock:
        for module in _loaded.values():
            sys.modules.pop(module.__name__, None)
        _loaded.clear()


def function_spec(logical_id: str) -> FunctionSpec:
    return functions()[logical_id]


def invoke(logical_id: str, event: dict[str, Any]) -> Any:
    module = load_function(logical_id)
    handler_name = function_spec(logical_id).handler.split(".", 1)[1]
    context = LambdaContext(function_name=logical_id)
    return getattr(module, handler_name)(event, context)
