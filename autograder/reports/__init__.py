"""Reports, each derived from one :class:`autograder.results.GradingResult`.

One module a format: gradescope (results.json), junit (XML), markdown (CI
summary), csv, console (the table printed by ``autograder grade``).
"""
