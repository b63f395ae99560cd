package io.spiremgmt.runtime.logging;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jboss.logmanager.ExtFormatter;
import org.jboss.logmanager.ExtLogRecord;
import org.jboss.logmanager.formatters.JsonFormatter;
import org.jboss.logmanager.formatters.StructuredFormatter;

/**
 * Wraps a JSON log formatter (Quarkus' {@code quarkus.log.console.json}) so that each line carries
 * the record's MDC entries ({@code trace_id}, {@code span_id}, {@code actor}: {@link LogFields}) as
 * fields of its own, at the top level where log tooling looks for them, rather than in the nested
 * {@code mdc} object, which the services' configuration excludes ({@code
 * quarkus.log.console.json.excluded-keys=mdc}). Quarkus' JSON formatter has no setting for this. An
 * MDC key that names one of the line's own fields (e.g. {@code level}) is left out rather than
 * written twice.
 */
final class JsonLogFieldsFormatter extends ExtFormatter {
  /**
   * Fields the wrapped formatter writes itself: its keys, and the services' overrides and
   * additions.
   */
  private static final Set<String> OWN_FIELDS =
      Stream.concat(
              Arrays.stream(StructuredFormatter.Key.values()).map(StructuredFormatter.Key::getKey),
              Stream.of("logger", "component"))
          .collect(Collectors.toUnmodifiableSet());

  private final Formatter json;

  JsonLogFieldsFormatter(Formatter json) {
    this.json = json;
  }

  /** The formatter {@code handler} should use: its JSON formatter wrapped, else its own. */
  static Formatter around(Handler handler) {
    Formatter current = handler.getFormatter();
    return current instanceof JsonFormatter ? new JsonLogFieldsFormatter(current) : current;
  }

  @Override
  public String format(ExtLogRecord record) {
    String line = json.format(record);
    Map<String, String> mdc = new TreeMap<>(record.getMdcCopy());
    mdc.keySet().removeAll(OWN_FIELDS);
    mdc.values().removeIf(value -> value == null || value.isEmpty());
    int end = line.lastIndexOf('}');
    if (mdc.isEmpty() || end < 0) {
      return line;
    }
    StringBuilder out = new StringBuilder(line.length() + 64 * mdc.size());
    out.append(line, 0, end);
    mdc.forEach(
        (key, value) -> {
          out.append(",\"");
          escape(key, out);
          out.append("\":\"");
          escape(value, out);
          out.append('"');
        });
    return out.append(line, end, line.length()).toString();
  }

  @Override
  public String getHead(Handler h) {
    return json.getHead(h);
  }

  @Override
  public String getTail(Handler h) {
    return json.getTail(h);
  }

  /** Appends {@code s} as the inside of a JSON string (RFC 8259, section 7). */
  static void escape(String s, StringBuilder out) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        default -> {
          if (c < 0x20) {
            out.append("\\u00")
                .append(Character.forDigit(c >> 4, 16))
                .append(Character.forDigit(c & 0xf, 16));
          } else {
            out.append(c);
          }
        }
      }
    }
  }
}
