#!/usr/bin/env bash
# Usage: scripts/check-python.sh PYTHON
# Exits 0 when PYTHON is a supported interpreter to build the virtualenv from: CPython 3.11.0
# through 3.13.x (pyproject.toml's requires-python, ">=3.11,<3.14") with the venv module and
# ensurepip (Debian and Ubuntu ship those apart, in python3.X-venv). Otherwise prints ONE line
# saying why on stderr and exits 1. Run by `make venv` before anything is installed.
set -u
py="${1:-python3}"
if ! command -v "$py" >/dev/null 2>&1; then
  echo "error: Python interpreter '$py' not found; supported: CPython 3.11 to 3.13 (make venv PYTHON=/path/to/python3.X)" >&2
  exit 1
fi
# Works under any Python (2.x too) so that an old one gets this message, not a syntax error.
info="$("$py" -c 'import platform, sys; print("%s %d.%d.%d" % ((platform.python_implementation(),) + tuple(sys.version_info[:3])))' 2>/dev/null)"
read -r impl major minor micro <<<"${info//./ }"
if [ -z "${micro:-}" ]; then
  echo "error: could not run '$py' to read its version; supported: CPython 3.11 to 3.13" >&2
  exit 1
fi
if [ "$impl" != CPython ] || [ "$major" != 3 ] || [ "$minor" -lt 11 ] || [ "$minor" -gt 13 ]; then
  echo "error: $py is $impl $major.$minor.$micro; supported: CPython 3.11.0 to 3.13 (make venv PYTHON=/path/to/python3.X)" >&2
  exit 1
fi
if ! "$py" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  echo "error: $py ($impl $major.$minor.$micro) cannot create virtualenvs (no venv/ensurepip module): install python$major.$minor-venv (Debian, Ubuntu)" >&2
  exit 1
fi
exit 0
