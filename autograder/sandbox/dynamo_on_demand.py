"""``torch._dynamo`` imported when something compiles, not at the first optimizer.

STANDALONE (stdlib only): the sandboxed worker and the warm fork server load it by path
(see worker.py); the trusted side imports it as ``autograder.sandbox.dynamo_on_demand``.

Why: torch (2.13) imports ``torch._dynamo`` -- ~1.0 s of CPU, as long as ``import torch``
itself -- the first time an optimizer is built or stepped, for two things that do nothing
while no ``torch.compile`` is running: ``torch._dynamo.graph_break()`` around every
``Optimizer.step`` and ``torch._dynamo.disable(fn)`` around optimizer internals (dynamo's
frame hook is only ever installed by dynamo itself, so outside a compilation a disabled
function runs as itself). A grading that trains a model paid that second on both sides of
the sandbox before its first test. No torch setting defers it, so :func:`install` (called
after the ``preload`` imports) puts an :class:`OnDemand` module in its place:

- ``graph_break()`` and ``disable(fn)`` do what the real ones do when nothing compiles, and
  hand over to the real ones once ``torch._dynamo`` has been imported;
- any other attribute, and any import of a ``torch._dynamo.*`` submodule, imports the real
  ``torch._dynamo`` (which takes the placeholder's place in ``sys.modules`` and on ``torch``)
  and goes on with it, so ``torch.compile`` and ``torch._dynamo.config`` work as ever.

Nothing here is a protection: student code may import the real module or undo this at
will; it only costs the second this saves.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import threading
import types

NAME = "torch._dynamo"
_lock = threading.RLock()


def _real():
    """The real ``torch._dynamo`` if it has been imported (None while the placeholder is
    in place or during its own import)."""
    module = sys.modules.get(NAME)
    return None if module is None or isinstance(module, OnDemand) else module


def load_real():
    """Import the real ``torch._dynamo`` (once) and return it."""
    with _lock:
        current = sys.modules.get(NAME)
        if isinstance(current, OnDemand):
            del sys.modules[NAME]
            torch = sys.modules.get("torch")
            if torch is not None and getattr(torch, "_dynamo", None) is current:
                delattr(torch, "_dynamo")  # the import sets it back to the real module
        return importlib.import_module(NAME)


class _Disabled:
    """What ``torch._dynamo.disable(fn, recursive, wrapping=False)`` returns, built when it is
    first called after the real module is imported; until then ``fn`` itself (nothing can be
    compiling without ``torch._dynamo``)."""

    __slots__ = ("fn", "args", "kwargs", "real")

    def __init__(self, fn, args, kwargs):
        self.fn, self.args, self.kwargs, self.real = fn, args, kwargs, None

    def __call__(self, *args, **kwargs):
        real = self.real
        if real is None:
            dynamo = _real()
            if dynamo is None or not hasattr(dynamo, "disable"):
                return self.fn(*args, **kwargs)
            real = self.real = dynamo.disable(self.fn, *self.args, **self.kwargs)
        return real(*args, **kwargs)


class OnDemand(types.ModuleType):
    """Stands in ``sys.modules["torch._dynamo"]`` until something needs the real module."""

    def graph_break(self, *args, **kwargs):
        dynamo = _real()
        if dynamo is not None:
            return dynamo.graph_break(*args, **kwargs)
        return None  # in eager code (nothing compiling) graph_break does nothing

    def disable(self, fn=None, *args, **kwargs):
        dynamo = _real()
        if dynamo is not None or fn is None:  # the decorator-factory form: the real one
            return (dynamo or load_real()).disable(fn, *args, **kwargs)
        return _Disabled(fn, args, kwargs)

    def __getattr__(self, name):
        # Other dunders are looked up on every module by tools that walk sys.modules (e.g.
        # inspect.getmodule asks each for ``__file__`` while torch registers an operator in
        # the middle of another import); loading the real module there would import it inside
        # that half-done import (a circular ImportError), so they are simply absent.
        if name.startswith("__") and name.endswith("__") and name != "__path__":
            raise AttributeError(name)
        # everything else (``__path__`` included: a submodule import) needs the real module
        return getattr(load_real(), name)


class _Existing(importlib.abc.Loader):
    """The loader of a submodule the real package's import already made: hands out that module
    (with its own spec put back) instead of executing the file a second time."""

    def __init__(self, module):
        self.module, self.spec = module, getattr(module, "__spec__", None)

    def create_module(self, spec):
        return self.module

    def exec_module(self, module):
        if self.spec is not None:
            module.__spec__ = self.spec


class _SubmoduleFinder(importlib.abc.MetaPathFinder):
    """First on ``sys.meta_path``: an import of ``torch._dynamo.<x>`` while the placeholder is
    in place imports the real package first."""

    def find_spec(self, fullname, path=None, target=None):
        if not fullname.startswith(NAME + ".") or not isinstance(sys.modules.get(NAME), OnDemand):
            return None
        load_real()
        existing = sys.modules.get(fullname)
        if existing is None:
            return None  # not imported by the package: the usual finders load it
        return importlib.util.spec_from_loader(fullname, _Existing(existing))


def install() -> bool:
    """Put the placeholder in place when torch is imported and ``torch._dynamo`` is not yet;
    True if it was installed."""
    torch = sys.modules.get("torch")
    if torch is None or NAME in sys.modules:
        return False
    spec = importlib.util.find_spec(NAME)
    if spec is None:
        return False
    placeholder = OnDemand(NAME, __doc__)
    placeholder.__spec__ = spec
    placeholder.__package__ = NAME
    placeholder.__file__ = spec.origin
    placeholder.__loader__ = spec.loader
    sys.modules[NAME] = placeholder
    torch._dynamo = placeholder
    if not any(isinstance(f, _SubmoduleFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, _SubmoduleFinder())
    return True
