package io.spiremgmt.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The metric names that the alert rules ({@code k8s/base/monitoring/prometheus-rule.yaml}) and the
 * Grafana dashboard ({@code k8s/base/monitoring/grafana-dashboard.json}) query, read from the files
 * themselves with a small PromQL tokenizer: string literals, label matchers, ranges, Grafana
 * variables and the label lists of {@code by}, {@code without}, {@code on}, {@code ignoring} and
 * {@code group_left/right} are dropped; what remains of each identifier not followed by {@code (}
 * and not a PromQL keyword is a metric name. (Syntax is promtool's job: tools/prometheus.)
 */
final class MonitoredMetrics {
  /** The folder of the rules and the dashboard, from the e2e module's directory. */
  static final Path FOLDER =
      Path.of("..", "k8s", "base", "monitoring").toAbsolutePath().normalize();

  private static final Set<String> KEYWORDS =
      Set.of(
          // aggregation operators (may be followed by `by (...)` before their parenthesis)
          "sum",
          "min",
          "max",
          "avg",
          "group",
          "stddev",
          "stdvar",
          "count",
          "count_values",
          "bottomk",
          "topk",
          "quantile",
          "limitk",
          "limit_ratio",
          // clauses and binary operators
          "by",
          "without",
          "on",
          "ignoring",
          "group_left",
          "group_right",
          "bool",
          "and",
          "or",
          "unless",
          "atan2",
          "offset",
          // literals
          "inf",
          "nan");

  private static final Pattern VARIABLE = Pattern.compile("\\$\\{[^}]*}|\\$\\w+");
  private static final Pattern STRING =
      Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`");
  private static final Pattern MATCHERS = Pattern.compile("\\{[^}]*}");
  private static final Pattern RANGE = Pattern.compile("\\[[^]]*]");
  private static final Pattern LABEL_LIST =
      Pattern.compile(
          "\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)",
          Pattern.CASE_INSENSITIVE);
  private static final Pattern NUMBER =
      Pattern.compile("(?<![\\w:])(0x[0-9a-fA-F]+|[0-9][0-9a-zA-Z_.]*(?:[eE][+-]?[0-9]+)?)");
  private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Pattern LABEL_VALUES =
      Pattern.compile("label_values\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\\s*,");

  private MonitoredMetrics() {}

  /** The metric names one PromQL expression selects. */
  static Set<String> inExpression(String promql) {
    String s = VARIABLE.matcher(promql).replaceAll(" ");
    s = STRING.matcher(s).replaceAll(" ");
    s = MATCHERS.matcher(s).replaceAll(" ");
    s = RANGE.matcher(s).replaceAll(" ");
    s = LABEL_LIST.matcher(s).replaceAll("$1 ");
    s = NUMBER.matcher(s).replaceAll(" ");
    Set<String> names = new TreeSet<>();
    Matcher m = IDENTIFIER.matcher(s);
    while (m.find()) {
      String id = m.group();
      int next = m.end();
      while (next < s.length() && Character.isWhitespace(s.charAt(next))) {
        next++;
      }
      boolean call = next < s.length() && s.charAt(next) == '(';
      if (!call && !KEYWORDS.contains(id.toLowerCase())) {
        names.add(id);
      }
    }
    return names;
  }

  /** Every {@code expr} of the PrometheusRule's rule groups. */
  static List<String> ruleExpressions() throws IOException {
    JsonNode rule =
        new ObjectMapper(new YAMLFactory())
            .readTree(Files.readString(FOLDER.resolve("prometheus-rule.yaml")));
    List<String> out = new ArrayList<>();
    for (JsonNode group : rule.path("spec").path("groups")) {
      for (JsonNode r : group.path("rules")) {
        out.add(r.path("expr").asText());
      }
    }
    if (out.isEmpty()) {
      throw new IllegalStateException("prometheus-rule.yaml has no spec.groups[].rules[].expr");
    }
    return out;
  }

  /** Every target {@code expr} of the dashboard's panels (rows' panels too). */
  static List<String> dashboardExpressions() throws IOException {
    JsonNode dashboard =
        new ObjectMapper().readTree(Files.readString(FOLDER.resolve("grafana-dashboard.json")));
    List<String> out = new ArrayList<>();
    collectTargets(dashboard.path("panels"), out);
    if (out.isEmpty()) {
      throw new IllegalStateException("grafana-dashboard.json has no panels[].targets[].expr");
    }
    return out;
  }

  /** The metrics of the dashboard's template variables ({@code label_values(metric, label)}). */
  static Set<String> dashboardVariableMetrics() throws IOException {
    JsonNode dashboard =
        new ObjectMapper().readTree(Files.readString(FOLDER.resolve("grafana-dashboard.json")));
    Set<String> out = new TreeSet<>();
    for (JsonNode v : dashboard.path("templating").path("list")) {
      JsonNode q = v.path("query");
      String query = q.isObject() ? q.path("query").asText() : q.asText();
      Matcher m = LABEL_VALUES.matcher(query);
      while (m.find()) {
        out.add(m.group(1));
      }
    }
    return out;
  }

  private static void collectTargets(JsonNode panels, List<String> out) {
    for (JsonNode p : panels) {
      for (JsonNode t : p.path("targets")) {
        if (t.hasNonNull("expr")) {
          out.add(t.get("expr").asText());
        }
      }
      collectTargets(p.path("panels"), out);
    }
  }

  /** The sample names of a Prometheus text exposition ({@code /q/metrics}). */
  static Set<String> exported(String exposition) {
    Set<String> out = new TreeSet<>();
    exposition
        .lines()
        .filter(l -> !l.isBlank() && !l.startsWith("#"))
        .forEach(
            l -> {
              Matcher m = IDENTIFIER.matcher(l);
              if (m.lookingAt()) {
                out.add(m.group());
              }
            });
    return out;
  }
}
