package io.spiremgmt.runtime.logging;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import org.jboss.logmanager.ExtHandler;
import org.jboss.logmanager.LogContext;

/**
 * At start, wraps the JSON formatter of every log handler (through Quarkus' delayed and async
 * handlers) in a {@link JsonLogFieldsFormatter}, so that from then on each JSON line carries {@code
 * trace_id}, {@code span_id} and {@code actor} at its top level. The lines Quarkus writes while
 * starting, before this runs, carry none of them anyway. Without JSON logging (the dev and test
 * profiles) it changes nothing.
 */
@ApplicationScoped
public class JsonLogFieldsInstaller {
  void onStart(@Observes StartupEvent event) {
    install(LogContext.getLogContext().getLogger("").getHandlers());
  }

  /**
   * Wraps the JSON formatters of {@code handlers} and their nested handlers; how many it wrapped.
   */
  static int install(Handler[] handlers) {
    int wrapped = 0;
    for (Handler handler : handlers) {
      Formatter current = handler.getFormatter();
      Formatter next = JsonLogFieldsFormatter.around(handler);
      if (next != current) {
        handler.setFormatter(next);
        wrapped++;
      }
      if (handler instanceof ExtHandler parent) {
        wrapped += install(parent.getHandlers());
      }
    }
    return wrapped;
  }
}
