package io.spiremgmt.backend.auth;

import com.google.protobuf.Message;
import io.grpc.MethodDescriptor;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import io.spiremgmt.backend.error.ApiException;
import io.vertx.core.Vertx;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * Keeps a long call (a stream, a long poll) as authorized as a new call would be: every {@code
 * spire-mgmt.auth.recheck-interval} it asks {@link CallerResolver#recheck} whether the caller's
 * credentials are still accepted and still grant the call, and ends the call with that answer
 * (UNAUTHENTICATED: the key was revoked or expired, the token expired; PERMISSION_DENIED: the role
 * or scope no longer allows it) instead of letting it run until the client hangs up. A check that
 * cannot be made (the database is unreachable) is not a verdict: the call goes on and the next tick
 * checks again.
 */
@ApplicationScoped
public class CallWatch {
  private static final Logger LOG = Logger.getLogger(CallWatch.class);

  private final CallerResolver callers;
  private final Vertx vertx;
  private final long intervalMs;

  CallWatch(CallerResolver callers, Vertx vertx, AuthConfig config) {
    this.callers = callers;
    this.vertx = vertx;
    this.intervalMs = Math.max(1, config.recheckInterval().toMillis());
  }

  /** The interval between checks. */
  public Duration interval() {
    return Duration.ofMillis(intervalMs);
  }

  /**
   * {@code stream}, ended with the re-check's error once {@code caller} may no longer call {@code
   * method} with {@code request}.
   */
  public <T> Multi<T> whileAllowed(
      Caller caller, MethodDescriptor<?, ?> method, Message request, Multi<T> stream) {
    return Multi.createFrom()
        .emitter(
            emitter -> {
              Cancellable upstream =
                  stream.subscribe().with(emitter::emit, emitter::fail, emitter::complete);
              long timer = watch(caller, method, request, e -> emitter.fail(e));
              emitter.onTermination(
                  () -> {
                    vertx.cancelTimer(timer);
                    upstream.cancel();
                  });
            });
  }

  /**
   * {@code call}, ended with the re-check's error once {@code caller} may no longer call {@code
   * method} with {@code request}.
   */
  public <T> Uni<T> whileAllowed(
      Caller caller, MethodDescriptor<?, ?> method, Message request, Uni<T> call) {
    return Uni.createFrom()
        .emitter(
            emitter -> {
              Cancellable upstream = call.subscribe().with(emitter::complete, emitter::fail);
              long timer = watch(caller, method, request, e -> emitter.fail(e));
              emitter.onTermination(
                  () -> {
                    vertx.cancelTimer(timer);
                    upstream.cancel();
                  });
            });
  }

  private long watch(
      Caller caller, MethodDescriptor<?, ?> method, Message request, Consumer<Throwable> end) {
    AtomicBoolean checking = new AtomicBoolean();
    return vertx.setPeriodic(
        intervalMs,
        t -> {
          if (!checking.compareAndSet(false, true)) {
            return;
          }
          Uni.createFrom()
              .deferred(
                  () -> callers.recheck(caller, method.getFullMethodName(), request, Instant.now()))
              .onTermination()
              .invoke(() -> checking.set(false))
              .subscribe()
              .with(
                  ok -> {},
                  e -> {
                    if (e instanceof ApiException) {
                      end.accept(e);
                    } else {
                      LOG.warnf(
                          "could not re-check the caller of %s, trying again: %s",
                          method.getBareMethodName(), e.getMessage());
                    }
                  });
        });
  }
}
