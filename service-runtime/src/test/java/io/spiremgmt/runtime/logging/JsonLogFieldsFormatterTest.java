package io.spiremgmt.runtime.logging;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.logging.json.runtime.JsonFormatter;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.util.Set;
import java.util.logging.Handler;
import java.util.logging.Level;
import org.jboss.logmanager.ExtLogRecord;
import org.jboss.logmanager.formatters.PatternFormatter;
import org.jboss.logmanager.handlers.AsyncHandler;
import org.jboss.logmanager.handlers.ConsoleHandler;
import org.junit.jupiter.api.Test;

class JsonLogFieldsFormatterTest {
  /** Quarkus' own JSON formatter, configured as the services configure it (mdc excluded). */
  private static JsonFormatter quarkusJson() {
    JsonFormatter json = new JsonFormatter();
    json.setExcludedKeys(Set.of("mdc"));
    return json;
  }

  private static ExtLogRecord record(String message) {
    ExtLogRecord r =
        new ExtLogRecord(Level.INFO, message, ExtLogRecord.FormatStyle.NO_FORMAT, "test");
    r.setLoggerName("io.spiremgmt.test");
    return r;
  }

  private static JsonObject parse(String line) {
    assertThat(line).endsWith("\n");
    try (var reader = Json.createReader(new StringReader(line))) {
      return reader.readObject();
    }
  }

  @Test
  void liftsTheMdcEntriesToTheTopLevel() {
    // Given
    ExtLogRecord r = record("lease acquired");
    r.putMdc("trace_id", "0af7651916cd43dd8448eb211c80319c");
    r.putMdc("span_id", "b7ad6b7169203331");
    r.putMdc("actor", "agent-a");

    // When
    JsonObject line = parse(new JsonLogFieldsFormatter(quarkusJson()).format(r));

    // Then
    assertThat(line.getString("message")).isEqualTo("lease acquired");
    assertThat(line.getString("trace_id")).isEqualTo("0af7651916cd43dd8448eb211c80319c");
    assertThat(line.getString("span_id")).isEqualTo("b7ad6b7169203331");
    assertThat(line.getString("actor")).isEqualTo("agent-a");
    assertThat(line.containsKey("mdc")).isFalse();
  }

  @Test
  void escapesWhatWouldBreakTheLine() {
    // Given: an actor name with a quote, a backslash, a newline and a control character
    ExtLogRecord r = record("call");
    r.putMdc("actor", "a\"b\\c\nd\u0001e");

    // When
    JsonObject line = parse(new JsonLogFieldsFormatter(quarkusJson()).format(r));

    // Then
    assertThat(line.getString("actor")).isEqualTo("a\"b\\c\nd\u0001e");
  }

  @Test
  void neverWritesAFieldTwice() {
    // Given: MDC keys named like the line's own fields
    ExtLogRecord r = record("call");
    r.putMdc("level", "FAKE");
    r.putMdc("message", "forged");
    r.putMdc("trace_id", "");

    // When
    String text = new JsonLogFieldsFormatter(quarkusJson()).format(r);
    JsonObject line = parse(text);

    // Then
    assertThat(line.getString("level")).isEqualTo("INFO");
    assertThat(line.getString("message")).isEqualTo("call");
    assertThat(line.containsKey("trace_id")).isFalse();
    assertThat(text.split("\"level\"", -1)).hasSize(2);
  }

  @Test
  void aLineWithoutMdcIsTheJsonFormattersOwn() {
    // Given
    ExtLogRecord r = record("started");
    JsonFormatter json = quarkusJson();

    // When / Then
    assertThat(new JsonLogFieldsFormatter(json).format(r)).isEqualTo(json.format(r));
  }

  @Test
  void theInstallerWrapsJsonFormattersOnceAndLeavesOthersAlone() {
    // Given: a JSON console handler behind an async handler, and a pattern one
    ConsoleHandler jsonConsole = new ConsoleHandler(quarkusJson());
    PatternFormatter pattern = new PatternFormatter("%m%n");
    ConsoleHandler plainConsole = new ConsoleHandler(pattern);
    AsyncHandler async = new AsyncHandler();
    async.addHandler(jsonConsole);
    Handler[] root = {async, plainConsole};

    // When
    int first = JsonLogFieldsInstaller.install(root);
    int second = JsonLogFieldsInstaller.install(root);

    // Then
    assertThat(first).isEqualTo(1);
    assertThat(second).isZero();
    assertThat(jsonConsole.getFormatter()).isInstanceOf(JsonLogFieldsFormatter.class);
    assertThat(plainConsole.getFormatter()).isSameAs(pattern);
    async.close();
  }
}
