"""Import a course script by its path in the repository (``demo/<a>/...``): course code
lives outside the framework package, so the framework's tests load it from its file."""
from __future__ import annotations

import importlib.util
import sys

from autograder.paths import course_root


def course_script(relpath: str):
    path = course_root() / relpath
    name = "course_script_" + path.stem
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
