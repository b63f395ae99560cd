package io.spiremgmt.backend;

import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import io.spiremgmt.backend.audit.AuditChainCli;
import io.spiremgmt.backend.dev.DevBootstrap;

/**
 * Entry point: in the dev profile, prepares a dev signing key and admin token ({@link
 * DevBootstrap}), then starts Quarkus. {@code verify-audit-chain} instead checks the audit hash
 * chain in the configured database and exits ({@link AuditChainCli}).
 */
@QuarkusMain
public final class Main {
  public static void main(String... args) {
    if (args.length == 1 && args[0].equals("verify-audit-chain")) {
      System.exit(AuditChainCli.run(System.out));
    }
    if (DevBootstrap.isDevProfile()) {
      DevBootstrap.prepare();
    }
    Quarkus.run(args);
  }
}
