#!/usr/bin/env bash
# The browser the JupyterLab end-to-end test drives (tests/test_jupyterlab_browser.py):
# Debian's chromium at /usr/bin/chromium, used by Playwright through
# executable_path (Playwright's own browser downloads are never used).
# Best effort and idempotent: does nothing when chromium is already there; without
# root or apt it only says so, and that test skips with the reason.
set -u
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing chromium (for the JupyterLab browser test)"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 \
      || echo "warning: could not install chromium; the JupyterLab browser test will be skipped" >&2
  fi
else
  echo "note: /usr/bin/chromium missing and not installable here (not root or no apt);" \
       "the JupyterLab browser test will be skipped" >&2
fi
exit 0
