package io.spiremgmt.runtime.logging;

import io.quarkus.logging.LoggingFilter;
import java.util.logging.Filter;
import java.util.logging.LogRecord;
import org.jboss.logmanager.ExtLogRecord;

/**
 * The log fields the operators' tooling reads, in the names it reads them by: OpenTelemetry's
 * {@code traceId} and {@code spanId} (which Quarkus puts in the MDC while a span is current) become
 * {@code trace_id} and {@code span_id}, and its {@code sampled} and {@code parentId} are dropped.
 * The backend adds {@link #ACTOR} while it serves an authenticated call; the site agent serves no
 * calls, so its lines carry none. {@link JsonLogFieldsFormatter} prints these MDC entries at the
 * top level of each JSON line (application.properties: quarkus.log.console.filter).
 */
@LoggingFilter(name = "log-fields")
public final class LogFields implements Filter {
  /** MDC key: the authenticated caller a line was logged for, while serving its call. */
  public static final String ACTOR = "actor";

  @Override
  public boolean isLoggable(LogRecord record) {
    if (record instanceof ExtLogRecord r) {
      rename(r, "traceId", "trace_id");
      rename(r, "spanId", "span_id");
      r.removeMdc("sampled");
      r.removeMdc("parentId");
    }
    return true;
  }

  private static void rename(ExtLogRecord r, String from, String to) {
    String value = r.removeMdc(from);
    if (value != null && !value.isEmpty()) {
      r.putMdc(to, value);
    }
  }
}
