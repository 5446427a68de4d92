"""grade-all's job servers pay nbgrader's per-student fixed costs once
(autograder/grade_all/nbgrader_costs.py): nbgrader must read, write and reject exactly
what it did before."""
from __future__ import annotations

import copy
import os
import sys

import jsonschema
import nbformat
import nbgrader.api
import nbgrader.nbgraderformat.common
import pytest
from nbgrader.nbgraderformat import MetadataValidator

from autograder.grade_all import nbgrader_costs


@pytest.fixture
def prepared(monkeypatch):
    """nbgrader as a job server leaves it (undone after the test)."""
    monkeypatch.setattr(nbgrader.api, "create_engine", nbgrader.api.create_engine)
    monkeypatch.setattr(nbgrader.nbgraderformat.common, "jsonschema", nbgrader.nbgraderformat.common.jsonschema)
    nbgrader_costs.prepare()
    assert nbgrader.api.create_engine is nbgrader_costs.shared_engine


def graded_cell(**meta):
    nbgrader_meta = {"schema_version": 3, "grade": True, "solution": False, "locked": True,
                     "grade_id": "part_a", "points": 2.0}
    nbgrader_meta.update(meta)
    return nbformat.v4.new_code_cell("assert True", metadata={"nbgrader": nbgrader_meta})


BAD_METADATA = [
    {"points": "two"},        # wrong type
    {"grade": "yes"},         # wrong type
    {"schema_version": 3, "unknown_key": 1},  # an extra key nbgrader's schema forbids
]


@pytest.mark.parametrize("bad", BAD_METADATA)
def test_bad_cell_metadata_is_rejected_with_the_same_error(prepared, bad):
    cell = graded_cell(**bad)
    schema = MetadataValidator().schema
    with pytest.raises(jsonschema.ValidationError) as plain:
        jsonschema.validate(cell.metadata["nbgrader"], schema)
    for _ in range(2):  # the first call checks the schema, the second reuses the validator
        with pytest.raises(jsonschema.ValidationError) as ours:
            MetadataValidator().validate_cell(copy.deepcopy(cell))
        assert ours.value.message == plain.value.message
        assert list(ours.value.path) == list(plain.value.path)


def test_good_cell_metadata_passes_and_a_broken_schema_is_still_refused(prepared):
    MetadataValidator().validate_cell(graded_cell())
    validator = MetadataValidator()
    validator.schema = dict(validator.schema, type=12)  # not a schema: the metaschema check fires
    with pytest.raises(jsonschema.SchemaError):
        validator.validate_cell(graded_cell())


def test_gradebooks_of_one_job_share_an_engine_a_forked_job_makes_its_own(prepared, tmp_path, monkeypatch):
    # a new gradebook asks the `alembic` command for its version: the one next to this Python
    monkeypatch.setenv("PATH", os.pathsep.join([os.path.dirname(sys.executable), os.environ["PATH"]]))
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with nbgrader.api.Gradebook(url) as gb:
        gb.add_assignment("a1")
        gb.add_student("s1")
        first = gb.engine
    with nbgrader.api.Gradebook(url) as gb:  # after close() disposed of the connections
        assert gb.engine is first
        assert [s.id for s in gb.students] == ["s1"]
        assert gb.find_assignment("a1").name == "a1"
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # a job forked from a server that had used the engine
        try:
            with nbgrader.api.Gradebook(url) as gb:
                ok = gb.engine is not first and [s.id for s in gb.students] == ["s1"]
            os.write(write, b"ok" if ok else b"shared")
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    assert os.read(read, 16) == b"ok"
    os.close(read)
    other = f"sqlite:///{tmp_path / 'other.db'}"
    with nbgrader.api.Gradebook(other) as gb:
        assert gb.engine is not first


def test_nbformat_validators_are_ready_before_the_jobs_fork(prepared):
    import nbformat.validator

    key = ("fastjsonschema", nbformat.current_nbformat, nbformat.current_nbformat_minor)
    if nbformat.validator.get_current_validator().name != "fastjsonschema":
        pytest.skip("nbformat validates with jsonschema here")
    assert key + (False,) in nbformat.validator.validators
    assert key + (True,) in nbformat.validator.validators
