package io.spiremgmt.backend.request;

import io.quarkus.vertx.core.runtime.context.VertxContextSafetyToggle;
import io.smallrye.common.vertx.VertxContext;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.function.Supplier;

/**
 * Runs work that opens Hibernate Reactive sessions from a timer or a notification handler: such
 * work must run on a duplicated Vert.x context of its own (marked safe), because a session lives in
 * its context's local data; two on one shared context would use each other's session.
 */
final class SessionContexts {
  private SessionContexts() {}

  /** {@code work}, subscribed on a new duplicated context of {@code vertx}. */
  static <T> Uni<T> onOwnContext(Vertx vertx, Supplier<Uni<T>> work) {
    return Uni.createFrom()
        .emitter(
            emitter -> {
              Context run = VertxContext.createNewDuplicatedContext(vertx.getOrCreateContext());
              VertxContextSafetyToggle.setContextSafe(run, true);
              run.runOnContext(v -> work.get().subscribe().with(emitter::complete, emitter::fail));
            });
  }
}
