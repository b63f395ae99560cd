package io.spiremgmt.backend.auth;

import java.util.Set;
import java.util.UUID;

/**
 * What the current call is allowed to reach, decided by {@link AccessPolicy} from the roles that
 * grant the call: everything (Admin, Operator, Viewer), the entries of some Kubernetes namespaces
 * (Developer; the rules are in {@code EntryScope}), or one site (SiteAgent).
 *
 * @param kind which of the three
 * @param namespaces the namespaces, for {@link Kind#NAMESPACES}; empty otherwise
 * @param site the site, for {@link Kind#SITE}; null otherwise
 */
public record Access(Kind kind, Set<String> namespaces, UUID site) {

  /** The kinds of access. */
  public enum Kind {
    /** No scope restriction. */
    ALL,
    /** Only entries inside these namespaces. */
    NAMESPACES,
    /** Only this site's sync calls. */
    SITE
  }

  private static final Access ALL = new Access(Kind.ALL, Set.of(), null);

  /** Unrestricted access. */
  public static Access all() {
    return ALL;
  }

  /** Access to entries inside {@code namespaces}. */
  public static Access namespaces(Set<String> namespaces) {
    return new Access(Kind.NAMESPACES, Set.copyOf(namespaces), null);
  }

  /** Access to one site's sync calls. */
  public static Access site(UUID site) {
    return new Access(Kind.SITE, Set.of(), site);
  }

  /** Whether the call is unrestricted. */
  public boolean unrestricted() {
    return kind == Kind.ALL;
  }
}
