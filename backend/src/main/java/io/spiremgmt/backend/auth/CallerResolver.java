package io.spiremgmt.backend.auth;

import io.quarkus.security.UnauthorizedException;
import io.quarkus.security.identity.CurrentIdentityAssociation;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Set;

/** Resolves the {@link Caller} of the current gRPC call from the request's security identity. */
@ApplicationScoped
public class CallerResolver {
  private final CurrentIdentityAssociation identity;

  CallerResolver(CurrentIdentityAssociation identity) {
    this.identity = identity;
  }

  /** The current caller; fails with UNAUTHENTICATED when the call carries no valid credentials. */
  public Uni<Caller> current() {
    return identity.getDeferredIdentity().map(CallerResolver::toCaller);
  }

  static Caller toCaller(SecurityIdentity id) {
    if (id == null || id.isAnonymous()) {
      throw new UnauthorizedException();
    }
    return new Caller(
        id.getPrincipal().getName(), Caller.AuthMethod.JWT, Set.copyOf(id.getRoles()));
  }
}
