package io.spiremgmt.backend.sync;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.smallrye.mutiny.Uni;
import io.spiremgmt.backend.notify.SiteNotifier;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.pubsub.PgSubscriber;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Wakes long polls when a site's channel is notified. One {@code LISTEN} connection per replica (a
 * Vert.x {@link PgSubscriber} that reconnects by itself); every committed write NOTIFYs its sites'
 * channels, so a poll waiting on any replica wakes for a write made through any other.
 */
@ApplicationScoped
public class SiteWakeups {
  private final Vertx vertx;
  private final PgConnectOptions options;
  private final Map<UUID, Set<Promise<Void>>> waiters = new ConcurrentHashMap<>();
  private final Map<UUID, Uni<Void>> listening = new ConcurrentHashMap<>();
  private final Map<String, Uni<Void>> channels = new ConcurrentHashMap<>();
  private final AtomicInteger waiting = new AtomicInteger();
  private PgSubscriber subscriber;
  private Uni<Void> connected;

  SiteWakeups(
      Vertx vertx,
      @ConfigProperty(name = "quarkus.datasource.reactive.url") String url,
      @ConfigProperty(name = "quarkus.datasource.username") Optional<String> user,
      @ConfigProperty(name = "quarkus.datasource.password") Optional<String> password,
      MeterRegistry registry) {
    this.vertx = vertx;
    Gauge.builder("sync_polls_waiting", waiting, AtomicInteger::get)
        .description("Agent long polls waiting on this replica for their site's next change")
        .register(registry);
    PgConnectOptions o = PgConnectOptions.fromUri(url.replaceFirst("^vertx-reactive:", ""));
    user.ifPresent(o::setUser);
    password.ifPresent(o::setPassword);
    this.options = o;
  }

  /**
   * A wake-up for {@code siteId}, armed now (so a NOTIFY that arrives while the caller checks for
   * work is not lost): it completes on the site's next notification or after {@code max}, whichever
   * comes first.
   */
  public Uni<Wakeup> arm(UUID siteId, Duration max) {
    Promise<Void> promise = Promise.promise();
    waiters.computeIfAbsent(siteId, k -> ConcurrentHashMap.newKeySet()).add(promise);
    long timer = vertx.setTimer(Math.max(1, max.toMillis()), t -> promise.tryComplete());
    promise
        .future()
        .onComplete(
            done -> {
              vertx.cancelTimer(timer);
              Set<Promise<Void>> set = waiters.get(siteId);
              if (set != null) {
                set.remove(promise);
              }
            });
    return listen(siteId).replaceWith(new Wakeup(promise, waiting));
  }

  /** An armed wake-up. */
  public static final class Wakeup {
    private final Promise<Void> promise;
    private final AtomicInteger waiting;

    Wakeup(Promise<Void> promise, AtomicInteger waiting) {
      this.promise = promise;
      this.waiting = waiting;
    }

    /**
     * Completes on the notification or the deadline; counted in {@code sync_polls_waiting}
     * meanwhile.
     */
    public Uni<Void> await() {
      waiting.incrementAndGet();
      return Uni.createFrom()
          .completionStage(promise.future().toCompletionStage())
          // A poll ended early (its caller's credentials revoked) releases its waiter at once.
          .onCancellation()
          .invoke(() -> promise.tryComplete())
          .onTermination()
          .invoke(waiting::decrementAndGet);
    }

    /** Releases it without waiting. */
    public void cancel() {
      promise.tryComplete();
    }
  }

  /**
   * Listens on {@code channel} with this replica's LISTEN connection and hands every notification's
   * payload to {@code handler} (registered once per channel; later calls only wait for it).
   */
  public synchronized Uni<Void> listenChannel(String channel, Consumer<String> handler) {
    return channels
        .computeIfAbsent(
            channel,
            c ->
                connect()
                    .chain(
                        () ->
                            Uni.createFrom()
                                .<Void>emitter(
                                    emitter ->
                                        subscriber
                                            .channel(c)
                                            .subscribeHandler(v -> emitter.complete(null))
                                            .handler(handler::accept)))
                    .memoize()
                    .indefinitely())
        .onFailure()
        .invoke(() -> channels.remove(channel));
  }

  private synchronized Uni<Void> listen(UUID siteId) {
    return listening
        .computeIfAbsent(siteId, id -> subscribe(id).memoize().indefinitely())
        .onFailure()
        .invoke(() -> listening.remove(siteId));
  }

  private Uni<Void> subscribe(UUID siteId) {
    return connect()
        .chain(
            () ->
                Uni.createFrom()
                    .emitter(
                        emitter ->
                            subscriber
                                .channel(SiteNotifier.channel(siteId))
                                .subscribeHandler(v -> emitter.complete(null))
                                .handler(payload -> wake(siteId))));
  }

  private synchronized Uni<Void> connect() {
    if (connected == null) {
      subscriber = PgSubscriber.subscriber(vertx, options).reconnectPolicy(retries -> 1000L);
      connected =
          Uni.createFrom()
              .completionStage(() -> subscriber.connect().toCompletionStage())
              .memoize()
              .indefinitely();
    }
    return connected.onFailure().invoke(this::forgetConnection);
  }

  private synchronized void forgetConnection() {
    if (subscriber != null) {
      subscriber.close();
    }
    subscriber = null;
    connected = null;
    listening.clear();
    channels.clear();
  }

  private void wake(UUID siteId) {
    Set<Promise<Void>> set = waiters.get(siteId);
    if (set != null) {
      set.forEach(Promise::tryComplete);
    }
  }

  @PreDestroy
  void close() {
    if (subscriber != null) {
      subscriber.close();
    }
  }
}
