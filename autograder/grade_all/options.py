"""``c.GradeAll.*``: the options of ``autograder grade-all``, in ``nbgrader_config.py``.

The traits below are the one place their defaults live; the command's flags
override them (:func:`autograder.grade_all.run.grade_all` takes the same names).
Those a job needs travel in :class:`~autograder.grade_all.records.JobOptions`
(fields named like the traits).
"""
from __future__ import annotations

from traitlets import Bool, Enum, Int, List, Unicode
from traitlets.config import Configurable


class GradeAll(Configurable):
    """``autograder grade-all`` options; set them in ``nbgrader_config.py`` as
    ``c.GradeAll.jobs = 8`` etc. The command line flags override them."""

    jobs = Int(0, help="Parallel grading jobs (worker processes); 0 means one per CPU core.").tag(config=True)
    executor = Enum(["local", "dask"], default_value="local",
                    help="Where jobs run: 'local' worker processes, or 'dask' on an existing "
                         "Dask distributed cluster (see scheduler).").tag(config=True)
    scheduler = Unicode("", help="Address of the Dask scheduler (e.g. tcp://10.0.0.5:8786) for "
                                 "executor='dask'.").tag(config=True)
    resume = Bool(True, help="Skip students whose done-marker matches their submission and the course "
                              "(hidden suites, reference, notebooks, options, grader).").tag(config=True)
    execute_notebooks = Bool(False, help="Also execute the submitted notebooks (nbgrader's Execute "
                                         "preprocessor); scores come from the hidden suites either way."
                             ).tag(config=True)
    parts = List(Unicode(), default_value=None, allow_none=True,
                 help="Grade only these grade_ids (others score 0); None grades all.").tag(config=True)
    slot_base = Int(100, help="First sandbox slot (worker uid offset) grade-all jobs may use.").tag(config=True)
    max_slots = Int(256, help="Number of sandbox slots jobs may take on one machine.").tag(config=True)
    job_timeout = Int(3600, help="Seconds one student's grading may take; then its process is "
                                 "killed and the student is listed as failed. 0 = no limit."
                      ).tag(config=True)

    @classmethod
    def option_names(cls) -> list[str]:
        """The names ``grade_all()`` accepts as options (the configurable traits)."""
        return sorted(cls.class_trait_names(config=True))
