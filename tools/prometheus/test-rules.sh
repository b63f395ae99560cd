#!/usr/bin/env bash
# Checks and unit-tests the alert rules with promtool: extracts the rule groups (everything under `spec:`)
# from the PrometheusRule in k8s/base/monitoring/prometheus-rule.yaml into a plain rule file, runs
# `promtool check rules` on it and `promtool test rules` with k8s/base/monitoring/tests/*.yaml beside it.
#
# usage: tools/prometheus/test-rules.sh [promtool]     (default: the one tools/prometheus/install.sh builds)
set -euo pipefail
cd "$(dirname "$0")/../.."

promtool="${1:-$(tools/prometheus/install.sh)}"
monitoring=k8s/base/monitoring
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# `spec:` must be the last top-level key: its lines, two spaces less indented, are the rule file.
awk '
  /^spec:[[:space:]]*$/ { inspec = 1; found = 1; next }
  inspec && /^[^[:space:]#]/ { print FILENAME ": a top-level key after spec: (" $0 ")" > "/dev/stderr"; bad = 1; exit }
  inspec { sub(/^  /, ""); print }
  END { if (!found) { print FILENAME ": no top-level spec:" > "/dev/stderr"; bad = 1 } exit bad }
' "$monitoring/prometheus-rule.yaml" >"$work/spire-mgmt-rules.yaml"

cp "$monitoring"/tests/*.yaml "$work/"
"$promtool" check rules "$work/spire-mgmt-rules.yaml"
"$promtool" test rules "$work"/*-test.yaml

# Every alert names its runbook, a `## <AlertName>` section of docs/runbooks.md (anchor: the name in lower case).
alerts="$(sed -n 's/^ *- alert: *//p' "$monitoring/prometheus-rule.yaml")"
bad=0
for alert in $alerts; do
  anchor="$(tr '[:upper:]' '[:lower:]' <<<"$alert")"
  if ! grep -q "^ *runbook_url: docs/runbooks.md#$anchor\$" <(
    awk -v a="$alert" '/^ *- alert: */ { on = ($3 == a) } on' "$monitoring/prometheus-rule.yaml"); then
    echo "$alert: no runbook_url: docs/runbooks.md#$anchor" >&2; bad=1
  fi
  grep -qx "## $alert" docs/runbooks.md || { echo "$alert: no '## $alert' section in docs/runbooks.md" >&2; bad=1; }
done
((bad == 0))
echo "runbooks: each of the $(wc -w <<<"$alerts") alerts links its section of docs/runbooks.md"
