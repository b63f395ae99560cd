package io.spiremgmt.backend.auth;

import io.quarkus.security.identity.IdentityProviderManager;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.identity.request.AuthenticationRequest;
import io.quarkus.vertx.http.runtime.security.ChallengeData;
import io.quarkus.vertx.http.runtime.security.HttpAuthenticationMechanism;
import io.quarkus.vertx.http.runtime.security.HttpCredentialTransport;
import io.smallrye.mutiny.Uni;
import io.spiremgmt.backend.error.CredentialsRejectedException;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * Authenticates a call by the client X.509-SVID of its TLS connection (already chained to an
 * accepted trust domain by the handshake): the principal is the SVID's SPIFFE ID, its role and
 * scope come from {@link MtlsPrincipals}. A call that carries a bearer token or an API key is left
 * to those mechanisms, so a proxy with its own SVID (Envoy) can forward its users' tokens; a call
 * from a configured proxy ({@code spire-mgmt.auth.mtls.proxies}) without one is refused.
 */
@ApplicationScoped
public class SvidAuthMechanism implements HttpAuthenticationMechanism {
  private final MtlsPrincipals principals;

  SvidAuthMechanism(MtlsPrincipals principals) {
    this.principals = principals;
  }

  @Override
  public Uni<SecurityIdentity> authenticate(
      RoutingContext context, IdentityProviderManager identityProviderManager) {
    if (!context.request().isSSL()
        || context.request().getHeader("authorization") != null
        || context.request().getHeader(ApiKeyAuthMechanism.HEADER) != null) {
      return Uni.createFrom().nullItem();
    }
    List<Certificate> peer;
    try {
      peer = context.request().connection().peerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      return Uni.createFrom().nullItem();
    }
    if (peer == null || peer.isEmpty() || !(peer.get(0) instanceof X509Certificate leaf)) {
      return Uni.createFrom().nullItem();
    }
    String spiffeId = spiffeId(leaf);
    if (spiffeId == null) {
      return Uni.createFrom()
          .failure(CredentialsRejectedException.because("the client certificate has no SPIFFE ID"));
    }
    if (principals.proxy(spiffeId)) {
      return Uni.createFrom()
          .failure(
              CredentialsRejectedException.because(
                  spiffeId
                      + " is a proxy (spire-mgmt.auth.mtls.proxies): its SVID authenticates no"
                      + " one; the request needs its user's token or API key"));
    }
    return Uni.createFrom().item(principals.identity(spiffeId));
  }

  /** The one {@code spiffe://} URI SAN of an X.509-SVID, or null. */
  static String spiffeId(X509Certificate leaf) {
    try {
      Collection<List<?>> sans = leaf.getSubjectAlternativeNames();
      if (sans == null) {
        return null;
      }
      List<String> ids =
          sans.stream()
              .filter(san -> Integer.valueOf(6).equals(san.get(0)))
              .map(san -> (String) san.get(1))
              .filter(uri -> uri.startsWith("spiffe://"))
              .toList();
      return ids.size() == 1 ? ids.get(0) : null;
    } catch (CertificateParsingException e) {
      return null;
    }
  }

  @Override
  public Uni<ChallengeData> getChallenge(RoutingContext context) {
    return Uni.createFrom().nullItem();
  }

  @Override
  public Set<Class<? extends AuthenticationRequest>> getCredentialTypes() {
    return Set.of();
  }

  @Override
  public Uni<HttpCredentialTransport> getCredentialTransport(RoutingContext context) {
    return Uni.createFrom()
        .item(new HttpCredentialTransport(HttpCredentialTransport.Type.X509, "spiffe"));
  }
}
