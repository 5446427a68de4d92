#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image
# (Ubuntu base image). It installs bubblewrap (the sandbox), Python 3.11 and
# the pinned Python dependencies of requirements.lock into $AUTOGRADER_GS_ROOT/venv.
set -euo pipefail
GS_ROOT="${AUTOGRADER_GS_ROOT:-/autograder}"
SOURCE="$GS_ROOT/source"
VENV="$GS_ROOT/venv"
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1

apt-get update -qq
apt-get install -y -qq --no-install-recommends bubblewrap util-linux ca-certificates

PY311="$(command -v python3.11 || true)"
if [ -z "$PY311" ]; then
  if ! apt-get install -y -qq --no-install-recommends python3.11 python3.11-venv; then
    # not in this image's archive: the deadsnakes PPA has it for every Ubuntu LTS
    apt-get install -y -qq --no-install-recommends software-properties-common gpg-agent
    add-apt-repository -y ppa:deadsnakes/ppa
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends python3.11 python3.11-venv
  fi
  PY311="$(command -v python3.11)"
fi

"$PY311" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
"$VENV/bin/python" -m pip install --quiet --extra-index-url __PYTORCH_CPU_INDEX__ \
    -r "$SOURCE/requirements.lock"
"$VENV/bin/python" -m pip install --quiet --no-deps "$SOURCE"
chmod -R a+rX "$VENV"   # the sandbox's unprivileged worker uid runs this interpreter
"$VENV/bin/python" -c "import autograder.runner, numpy, torch; print('autograder ready')"
