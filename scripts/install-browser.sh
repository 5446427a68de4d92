#!/usr/bin/env bash
# The browser the JupyterLab end-to-end test drives (tests/test_jupyterlab_browser.py):
# Debian's chromium at /usr/bin/chromium, used by Playwright through
# executable_path (Playwright's own browser downloads are never used).
# Idempotent: does nothing when chromium is already there.
# Where the browser is optional (a developer's machine), a failure is a warning and
# that test skips with the reason. Where it is required -- CI or AUTOGRADER_REQUIRE_BROWSER
# set to anything but "", 0, false or no -- a failure exits 1 with the reason, and the
# test fails instead of skipping.
set -u

required() {
  local v
  for v in "${CI:-}" "${AUTOGRADER_REQUIRE_BROWSER:-}"; do
    case "$(printf '%s' "$v" | tr '[:upper:]' '[:lower:]')" in
      ""|0|false|no) ;;
      *) return 0 ;;
    esac
  done
  return 1
}

give_up() {
  if required; then
    echo "error: $1 (the JupyterLab browser test is required here: CI or AUTOGRADER_REQUIRE_BROWSER is set)" >&2
    exit 1
  fi
  echo "warning: $1; the JupyterLab browser test will be skipped" >&2
  exit 0
}

if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  give_up "/usr/bin/chromium is missing and cannot be installed here (needs root and apt-get)"
fi
echo "installing chromium (for the JupyterLab browser test)"
log=$(mktemp)
if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >"$log" 2>&1; then
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >"$log" 2>&1; then
    tail -n 5 "$log" >&2
    rm -f "$log"
    give_up "could not install chromium with apt-get"
  fi
fi
rm -f "$log"
[ -x /usr/bin/chromium ] || give_up "apt-get installed chromium but /usr/bin/chromium is not there"
exit 0
