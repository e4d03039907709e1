# The step runner of ci/test.sh, sourced (not run). A step is a shell function or command run by
# `step NAME CMD...`: its failure is recorded and the next step still runs, so that one broken step
# cannot hide the others; `skip NAME REASON` records a step that could not run here, and why.
# `summary` prints the closing lines and returns non-zero when any step failed:
#
#   == summary: ran: A, B; failed: C (exit 1); skipped: D (iverilog missing)
#   steps: 2 passed, 1 failed, 1 skipped
#
# The second line is the plain "N passed, N failed" form that CI systems read. Steps may add
# sub-skips of their own (a Go test that skipped) with `skip`. `--only` in ci/test.sh selects steps
# by name through step_wanted (comma-separated, so no step name has a comma).
ci_ran=()
ci_failed=()
ci_skipped=()
ci_seen=()
ci_only=${CI_ONLY_STEPS:-}

ci_join() {
  local out= x
  for x in "$@"; do out+="${out:+, }$x"; done
  echo "${out:-none}"
}

# step_wanted NAME: true unless CI_ONLY_STEPS (comma-separated names) is set and lacks NAME.
step_wanted() {
  ci_seen+=("$1")
  [ -z "$ci_only" ] && return 0
  local IFS=,
  local n
  for n in $ci_only; do [ "$n" = "$1" ] && return 0; done
  return 1
}

# step NAME CMD...: runs CMD in a subshell with errexit and pipefail on, so a step stops at its
# first failing command, whatever the caller's options; records NAME as ran or failed.
step() {
  local name=$1 rc start=$SECONDS
  shift
  step_wanted "$name" || return 0
  echo "== $name"
  # Not `( ... ) || rc=$?`: bash ignores errexit inside anything on the left of ||, so a step
  # would run on past its first failing command. Instead errexit is off in the caller while the
  # subshell runs (and restored after), and its status is read on the next line.
  local caller_errexit=0
  case $- in *e*) caller_errexit=1 ;; esac
  set +e
  (
    set -eo pipefail
    "$@"
  )
  rc=$?
  [ "$caller_errexit" -eq 0 ] || set -e
  if [ "$rc" -eq 0 ]; then
    ci_ran+=("$name")
    echo "   $name: ok ($((SECONDS - start)) s)"
  else
    ci_failed+=("$name (exit $rc)")
    echo "== $name FAILED (exit $rc, $((SECONDS - start)) s)"
  fi
  return 0
}

# skip NAME REASON: records a step that cannot run on this machine.
skip() {
  step_wanted "$1" || return 0
  echo "== $1 SKIPPED: $2"
  ci_skipped+=("$1 ($2)")
}

# summary: the closing lines; returns 1 when a step failed, 0 otherwise. A name in
# CI_ONLY_STEPS that no step has counts as a failed step, so a typo cannot pass as "nothing ran".
summary() {
  local n s known
  local IFS=,
  for n in $ci_only; do
    known=
    for s in "${ci_seen[@]}"; do [ "$s" = "$n" ] && known=1; done
    [ -n "$known" ] || ci_failed+=("$n (no such step)")
  done
  unset IFS
  echo "== summary: ran: $(ci_join "${ci_ran[@]}"); failed: $(ci_join "${ci_failed[@]}"); skipped: $(ci_join "${ci_skipped[@]}")"
  echo "steps: ${#ci_ran[@]} passed, ${#ci_failed[@]} failed, ${#ci_skipped[@]} skipped"
  [ "${#ci_failed[@]}" -eq 0 ]
}
