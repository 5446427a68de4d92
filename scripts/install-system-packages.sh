#!/usr/bin/env bash
# System packages the sandbox uses: bubblewrap (filesystem/network/pid isolation of
# student code). Best effort: without root or apt the grader still runs and reports
# which protections are off (see README, "Sandbox").
set -u
need=()
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
command -v setpriv >/dev/null 2>&1 || need+=(util-linux)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing system packages: ${need[*]}"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}") >/dev/null 2>&1 \
    || echo "warning: could not install ${need[*]}; sandbox protections will be reduced" >&2
else
  echo "note: ${need[*]} missing and not installable here (not root or no apt); sandbox protections will be reduced" >&2
fi
exit 0
