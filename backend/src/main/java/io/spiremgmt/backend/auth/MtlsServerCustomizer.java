package io.spiremgmt.backend.auth;

import io.quarkus.vertx.http.HttpServerOptionsCustomizer;
import io.spiffe.provider.SpiffeKeyManager;
import io.spiffe.provider.SpiffeTrustManager;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.TrustOptions;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Set;

/**
 * With mTLS configured, turns the gRPC port into TLS 1.3 only: the server presents its X.509-SVID
 * from the Workload API (each handshake asks the source, so a rotated SVID is used at once) and
 * asks every client for an SVID chaining to an accepted trust domain. Clients without a certificate
 * may still connect and authenticate with a JWT or an API key; a certificate that does not chain is
 * refused in the handshake.
 */
@ApplicationScoped
public class MtlsServerCustomizer implements HttpServerOptionsCustomizer {
  private final SvidSource svids;

  MtlsServerCustomizer(SvidSource svids) {
    this.svids = svids;
  }

  @Override
  public void customizeHttpServer(HttpServerOptions options) {
    if (!svids.enabled()) {
      return;
    }
    options
        .setSsl(true)
        .setUseAlpn(true)
        .setEnabledSecureTransportProtocols(Set.of("TLSv1.3"))
        .setKeyCertOptions(KeyCertOptions.wrap(new SpiffeKeyManager(svids.source())))
        // Any SPIFFE ID of an accepted trust domain may connect; MtlsPrincipals decides its role.
        .setTrustOptions(
            TrustOptions.wrap(
                new SpiffeTrustManager(svids.acceptedBundles(), (spiffeId, chain) -> {})))
        .setClientAuth(ClientAuth.REQUEST);
  }
}
