"""Where the jobs run: ``GradeAll.executor``.

``local`` (:func:`run_local`, default): grading processes on this machine,
one per core unless ``GradeAll.jobs`` says otherwise.  ``dask``
(:func:`run_dask`): the same job function on an existing Dask distributed
cluster (``distributed.Client(scheduler)``); each task starts its grading
process on the worker, so workers with several threads are fine; the course
directory must be visible at the same path on every Dask worker (a shared file
system).  Each job takes its own sandbox slot (worker uid) with a lock file
(:func:`autograder.sandbox.slots.acquire_slot`), so concurrent jobs on one
machine never share a uid whatever runs them.

Either way ``on_result`` is called in the calling thread, one
:class:`~.records.JobResult` at a time.
"""
from __future__ import annotations

from typing import Callable

from .dispatch import close_job_servers, grade_one, kill_running_jobs
from .records import GradeJob, JobResult


def run_local(jobs: list[GradeJob], workers: int, on_result: Callable[[JobResult], None]) -> None:
    """Run :func:`~.dispatch.grade_one` over ``jobs``, at most ``workers`` grading processes at a time.

    Threads here only hand jobs to job servers and wait; ``on_result`` runs in
    this (the calling) thread, one result at a time.  On an interruption
    (Ctrl-C) every running grading process is killed.
    """
    from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait

    pending = list(jobs)
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grade-all")
    in_flight: dict = {}

    def start_more() -> None:
        while pending and len(in_flight) < workers:
            job = pending.pop(0)
            in_flight[pool.submit(grade_one, job)] = job

    try:
        start_more()
        while in_flight:
            done, _ = wait(list(in_flight), return_when=FIRST_COMPLETED)
            finished = [(in_flight.pop(fut), fut) for fut in done]
            start_more()  # the next gradings start before these results are merged
            for job, fut in finished:
                try:
                    res = fut.result()
                except Exception as e:  # noqa: BLE001 -- grade_one never raises; belt and braces
                    res = JobResult(student=job.student, error=f"{type(e).__name__}: {e}")
                on_result(res)
    except BaseException:
        kill_running_jobs()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        close_job_servers()


def run_dask(jobs: list[GradeJob], scheduler: str, on_result: Callable[[JobResult], None]) -> None:
    """Run :func:`~.dispatch.grade_one` over ``jobs`` on an existing Dask distributed cluster.

    Each task grades in a fresh process on its worker (a job server per
    worker thread, kept between tasks), so a worker with several threads
    grades several students at once, each in its own process.
    """
    from distributed import Client, as_completed

    with Client(scheduler) as client:
        futures = {client.submit(grade_one, job, key=f"grade-all-{job.student}-{job.submission_hash[:12]}",
                                 pure=False, retries=0): job for job in jobs}
        try:
            for fut in as_completed(futures):
                job = futures[fut]
                try:
                    res = fut.result()
                except Exception as e:  # a Dask worker died, the task was lost, ...
                    res = JobResult(student=job.student, error=f"dask: {type(e).__name__}: {e}")
                on_result(res)
        except BaseException:
            client.cancel(list(futures))
            raise
