package io.spiremgmt.backend.auth;

import io.quarkus.runtime.ShutdownEvent;
import io.spiffe.bundle.BundleSource;
import io.spiffe.bundle.x509bundle.X509Bundle;
import io.spiffe.exception.BundleNotFoundException;
import io.spiffe.spiffeid.SpiffeId;
import io.spiffe.spiffeid.TrustDomain;
import io.spiffe.svid.x509svid.X509Svid;
import io.spiffe.workloadapi.DefaultX509Source;
import io.spiffe.workloadapi.X509Source;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * This service's X.509-SVID and the trusted bundles, kept current by the SPIFFE Workload API
 * (java-spiffe's {@link DefaultX509Source} follows every rotation). Opened on first use, which is
 * when the HTTP server starts with mTLS configured.
 */
@Singleton
public class SvidSource {
  private final AuthConfig.Mtls config;
  private volatile X509Source source;

  SvidSource(AuthConfig config) {
    this.config = config.mtls();
  }

  /** Whether mTLS is configured. */
  public boolean enabled() {
    return config.workloadApiSocket().isPresent();
  }

  /** The Workload API source; opened (waiting for the first SVID) on the first call. */
  public synchronized X509Source source() {
    if (source == null) {
      String wanted = config.spiffeId().orElse(null);
      DefaultX509Source.X509SourceOptions options =
          DefaultX509Source.X509SourceOptions.builder()
              .spiffeSocketPath(config.workloadApiSocket().orElseThrow())
              .initTimeout(config.initTimeout())
              .svidPicker(svids -> pick(svids, wanted))
              .build();
      try {
        source = DefaultX509Source.newSource(options);
      } catch (Exception e) {
        throw new IllegalStateException(
            "cannot get this service's X.509-SVID from the SPIFFE Workload API at "
                + config.workloadApiSocket().get()
                + ": "
                + e.getMessage(),
            e);
      }
    }
    return source;
  }

  /** The SVID with {@code wanted} as its SPIFFE ID (the first one when null). */
  static X509Svid pick(List<X509Svid> svids, String wanted) {
    if (wanted == null) {
      return svids.get(0);
    }
    return svids.stream()
        .filter(s -> s.getSpiffeId().toString().equals(wanted))
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "the Workload API offers no SVID for "
                        + wanted
                        + " (it offers "
                        + svids.stream()
                            .map(s -> s.getSpiffeId().toString())
                            .collect(Collectors.joining(", "))
                        + ")"));
  }

  /** The trust domains whose client SVIDs are accepted. */
  public Set<TrustDomain> trustDomains() {
    return config
        .trustDomains()
        .map(tds -> tds.stream().map(TrustDomain::parse).collect(Collectors.toSet()))
        .orElseGet(() -> Set.of(source().getX509Svid().getSpiffeId().getTrustDomain()));
  }

  /** The bundles of the accepted trust domains only: a chain to any other is refused. */
  public BundleSource<X509Bundle> acceptedBundles() {
    return trustDomain -> {
      if (!trustDomains().contains(trustDomain)) {
        throw new BundleNotFoundException(
            "SVIDs of trust domain " + trustDomain + " are not accepted");
      }
      return source().getBundleForTrustDomain(trustDomain);
    };
  }

  /** This service's current SPIFFE ID. */
  public SpiffeId spiffeId() {
    return source().getX509Svid().getSpiffeId();
  }

  void close(@Observes ShutdownEvent event) {
    X509Source s = source;
    if (s != null) {
      try {
        s.close();
      } catch (IOException e) {
        // closing on shutdown: nothing left to do
      }
    }
  }
}
