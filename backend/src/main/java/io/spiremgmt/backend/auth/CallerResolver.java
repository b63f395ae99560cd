package io.spiremgmt.backend.auth;

import io.quarkus.security.AuthenticationFailedException;
import io.quarkus.security.UnauthorizedException;
import io.quarkus.security.identity.CurrentIdentityAssociation;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import io.spiremgmt.backend.validation.Text;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Set;

/** Resolves the {@link Caller} of the current gRPC call from the request's security identity. */
@ApplicationScoped
public class CallerResolver {
  /** Longest principal name accepted (the audit actor column's size). */
  public static final int MAX_NAME = 512;

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
    String name = id.getPrincipal().getName();
    if (name == null
        || name.isEmpty()
        || name.length() > MAX_NAME
        || Text.controlCharacterProblem(name) != null) {
      throw new AuthenticationFailedException(
          "the token's principal name is empty, too long or not printable");
    }
    return new Caller(name, Caller.AuthMethod.JWT, Set.copyOf(id.getRoles()));
  }
}
