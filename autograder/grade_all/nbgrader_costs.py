"""nbgrader's fixed costs of an autograde, paid once a job server instead of once a student.

One ``nbgrader autograde`` of a student (assignment 2: five notebooks, two passes each)
spends about a tenth of its job's CPU on work that is the same for every student
(profiled in a grade-all job, 2026-12-04: ~0.35 s of ~3.8 s):

* nbgrader opens its :class:`~nbgrader.api.Gradebook` about thirty times, and each one
  makes a new SQLAlchemy engine, whose compiled-statement cache starts empty: every
  query nbgrader makes is compiled again (~0.2 s);
* nbgrader checks each cell's metadata with ``jsonschema.validate``, which first checks
  nbgrader's schema itself against the JSON-Schema metaschema -- about 430 times (~0.2 s);
* nbformat compiles its notebook-schema validators at their first use (~0.1 s).

:func:`prepare` runs in a job server before it forks the jobs (:mod:`.job_server`): it
compiles nbformat's validators there (nbformat's own cache, then shared by every forked
job) and points nbgrader at a process-wide engine per gradebook URL and at schema
validators checked once.  No library offers these as options (nbgrader's ``Gradebook``
calls ``create_engine`` itself; ``jsonschema.validate`` re-checks its schema by design),
hence the two replacements below, each a drop-in for the name nbgrader looks up.  What
nbgrader reads, writes and rejects is unchanged (tests/test_nbgrader_costs.py).
"""
from __future__ import annotations

import json
import os
import threading
from typing import Any

_ENGINES: dict[tuple, Any] = {}
_VALIDATORS: dict[str, Any] = {}
_LOCK = threading.Lock()


def shared_engine(url, **kwargs):
    """``sqlalchemy.create_engine(url, **kwargs)``, made once per process and URL: nbgrader's
    Gradebooks of one job then share the engine and its statement cache.  Keyed by pid
    too, so a forked job never uses an engine (a connection pool) of its parent.
    ``Gradebook.close()`` disposes of the engine's connections, which the engine opens
    again when the next Gradebook uses it."""
    from sqlalchemy import create_engine

    key = (os.getpid(), str(url), tuple(sorted(kwargs.items())))
    with _LOCK:
        if key not in _ENGINES:
            _ENGINES[key] = create_engine(url, **kwargs)
        return _ENGINES[key]


class SchemaCheckedOnce:
    """Stands in for the ``jsonschema`` module in nbgrader's metadata checks: ``validate``
    as ``jsonschema.validate`` does it (the schema's validator class, the best-matching
    error raised), with each distinct schema checked against its metaschema once."""

    def __getattr__(self, name):  # anything else nbgrader might use: jsonschema's own
        import jsonschema

        return getattr(jsonschema, name)

    @staticmethod
    def validate(instance, schema) -> None:
        import jsonschema

        key = json.dumps(schema, sort_keys=True)  # not id(): nbgrader loads the schema anew
        with _LOCK:
            validator = _VALIDATORS.get(key)
            if validator is None:
                cls = jsonschema.validators.validator_for(schema)
                cls.check_schema(schema)
                validator = _VALIDATORS[key] = cls(schema)
        error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise error


def prepare() -> None:
    """Pay nbgrader's per-job fixed costs in this process, once (see the module doc)."""
    import nbformat
    import nbformat.validator
    import nbgrader.api
    import nbgrader.nbgraderformat.common

    for relax in (False, True):  # the two nbformat asks for when it reads and writes a notebook
        nbformat.validator.get_validator(nbformat.current_nbformat, nbformat.current_nbformat_minor,
                                         relax_add_props=relax)
    nbgrader.api.create_engine = shared_engine
    nbgrader.nbgraderformat.common.jsonschema = SchemaCheckedOnce()
