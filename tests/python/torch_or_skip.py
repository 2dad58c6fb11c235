"""PyTorch for the tests, or, where it is not installed (a user's venv with
numpy only: tests/packaging), a stand-in that skips whatever test uses it.

    from torch_or_skip import torch, needs_torch

With PyTorch, ``torch`` is the real module. Without it, calling anything
under ``torch`` (``torch.zeros(...)``) skips the running test with the reason
"PyTorch is not installed", uses at import time (``torch.bfloat16`` in a
parametrize list) give another stand-in, and
``isinstance(x, torch.Tensor)`` is False; conftest.py also skips every test
whose name or parameters mention torch. The stand-in is not None: test
``HAVE_TORCH`` to branch on whether PyTorch is there. Skipped tests show in pytest's
summary (-rs); none counts as passed.
"""

import os

import pytest

try:
    import torch
except ImportError:
    torch = None

HAVE_TORCH = torch is not None
REASON = "PyTorch is not installed"
needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason=REASON)

if not HAVE_TORCH:

    class _Absent(type):
        def __getattr__(cls, name):
            if name.startswith("__"):
                raise AttributeError(name)
            return cls

        def __call__(cls, *args, **kwargs):
            # In a test (pytest sets PYTEST_CURRENT_TEST): skip it. At import
            # time (a parametrize list): another stand-in.
            if "PYTEST_CURRENT_TEST" in os.environ:
                pytest.skip(REASON)
            return cls

        def __repr__(cls):
            return "torch-not-installed"

    torch = _Absent("torch", (), {})
