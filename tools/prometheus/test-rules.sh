#!/usr/bin/env bash
# Checks and unit-tests the alert rules with promtool: extracts the rule groups (everything under `spec:`)
# from the PrometheusRule in k8s/base/monitoring/prometheus-rule.yaml into a plain rule file, runs
# `promtool check rules` on it and `promtool test rules` with k8s/base/monitoring/tests/*.yaml beside it; checks
# that the Grafana dashboard's queries parse (`promtool check rules` on them as recording rules) and that every
# alert has a `runbook_url` naming its section of docs/runbooks.md.
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

# The dashboard's queries parse too: each panel target's expr becomes a recording rule (JSON is YAML), with
# Grafana's interval variables as 5m and its other variables ($site) as the regex .*.
node -e '
  const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const rules = [];
  const walk = (panels) => (panels || []).forEach((p) => {
    (p.targets || []).forEach((t) => t.expr && rules.push({
      record: "dashboard:panel_" + p.id + "_" + t.refId.toLowerCase(),
      expr: t.expr.replace(/\$__\w+|\$\{__\w+\}/g, "5m").replace(/\$\{?\w+\}?/g, ".*"),
    }));
    walk(p.panels);
  });
  walk(d.panels);
  if (!rules.length) { console.error(process.argv[1] + ": no panel queries"); process.exit(1); }
  console.log(JSON.stringify({ groups: [{ name: "grafana-dashboard", rules }] }, null, 1));
' "$monitoring/grafana-dashboard.json" >"$work/dashboard-queries.yaml"
echo "the dashboard's queries (as recording rules):"
"$promtool" check rules "$work/dashboard-queries.yaml"
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
