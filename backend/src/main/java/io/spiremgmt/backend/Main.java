package io.spiremgmt.backend;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import io.spiremgmt.backend.dev.DevBootstrap;

/**
 * Entry point: in the dev profile, prepares an embedded database and a dev signing key, then starts
 * Quarkus.
 */
@QuarkusMain
public final class Main {
  public static void main(String... args) {
    if (DevBootstrap.isDevProfile()) {
      DevBootstrap.prepare();
    }
    Quarkus.run(args);
  }
}
