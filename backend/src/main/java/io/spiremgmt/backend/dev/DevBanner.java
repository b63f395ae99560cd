package io.spiremgmt.backend.dev;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Prints the dev admin token and a ready grpcurl call once the service is up (dev profile only).
 */
@Singleton
public class DevBanner {
  private static final Logger LOG = Logger.getLogger(DevBanner.class);

  void onStart(@Observes StartupEvent event, @ConfigProperty(name = "quarkus.http.port") int port) {
    String token = System.getProperty(DevBootstrap.TOKEN_PROPERTY);
    if (token == null) {
      return;
    }
    LOG.infof(
        "%n=== dev mode: admin token (12 h) also in .data/dev/admin.token ===%n%s%n"
            + "try: grpcurl -plaintext -H \"authorization: Bearer $(cat .data/dev/admin.token)\" localhost:%d"
            + " spire.mgmt.v1.SiteService/ListSites%n",
        token, port);
  }
}
