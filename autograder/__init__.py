"""autograder: the framework that turns an instructor's reference solutions into a
student release and grades submissions with hidden, sandboxed test suites.

Pipeline (one module a stage): stub -> release -> sandbox -> run -> score -> report.
See README.md and DESIGN.md.
"""

__version__ = "0.1.0"
