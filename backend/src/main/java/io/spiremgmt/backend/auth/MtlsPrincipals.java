package io.spiremgmt.backend.auth;

import io.quarkus.runtime.StartupEvent;
import io.quarkus.security.identity.SecurityIdentity;
import io.quarkus.security.runtime.QuarkusPrincipal;
import io.quarkus.security.runtime.QuarkusSecurityIdentity;
import io.spiffe.exception.InvalidSpiffeIdException;
import io.spiffe.spiffeid.SpiffeId;
import io.spiffe.spiffeid.TrustDomain;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The configured mTLS callers ({@code spire-mgmt.auth.mtls.principals}): SPIFFE ID → role and
 * scope. Checked at start-up in every profile, so a wildcard trust domain or a SiteAgent without a
 * site never starts.
 */
@Singleton
public class MtlsPrincipals {
  /** A checked principal. */
  record Entry(Role role, UUID site, Set<String> namespaces) {}

  private final Map<String, Entry> principals;
  private final List<String> problems;
  private final Set<String> proxies;

  MtlsPrincipals(AuthConfig config) {
    this.problems = new ArrayList<>();
    this.principals = check(config.mtls(), problems);
    this.proxies = Set.copyOf(config.mtls().proxies().orElse(List.of()));
  }

  void onStart(@Observes StartupEvent event) {
    if (!problems.isEmpty()) {
      throw new IllegalStateException(
          "refusing to start: the mTLS settings are wrong: " + String.join("; ", problems));
    }
  }

  /** The problems of {@code config}, one sentence each (empty when it is right). */
  static List<String> problems(AuthConfig.Mtls config) {
    List<String> problems = new ArrayList<>();
    check(config, problems);
    return problems;
  }

  private static Map<String, Entry> check(AuthConfig.Mtls config, List<String> problems) {
    for (String td : config.trustDomains().orElse(List.of())) {
      if (td.contains("*")) {
        problems.add(
            "spire-mgmt.auth.mtls.trust-domains holds a wildcard ('"
                + td
                + "'): name each trust domain whose SVIDs are accepted");
        continue;
      }
      try {
        TrustDomain.parse(td);
      } catch (IllegalArgumentException | InvalidSpiffeIdException e) {
        problems.add("spire-mgmt.auth.mtls.trust-domains: '" + td + "' is not a trust domain");
      }
    }
    for (String proxy : config.proxies().orElse(List.of())) {
      try {
        SpiffeId.parse(proxy);
      } catch (IllegalArgumentException | InvalidSpiffeIdException e) {
        problems.add("spire-mgmt.auth.mtls.proxies: '" + proxy + "' is not a SPIFFE ID");
        continue;
      }
      if (config.principals().containsKey(proxy)) {
        problems.add(
            "spire-mgmt.auth.mtls.proxies: "
                + proxy
                + " is also a principal; a proxy's SVID authenticates no one, so it can hold no"
                + " role");
      }
    }
    Map<String, Entry> out = new LinkedHashMap<>();
    config
        .principals()
        .forEach(
            (id, p) -> {
              String where = "spire-mgmt.auth.mtls.principals.\"" + id + "\"";
              SpiffeId spiffeId;
              try {
                spiffeId = SpiffeId.parse(id);
              } catch (IllegalArgumentException | InvalidSpiffeIdException e) {
                problems.add(where + ": not a SPIFFE ID");
                return;
              }
              List<String> accepted = config.trustDomains().orElse(null);
              if (accepted != null && !accepted.contains(spiffeId.getTrustDomain().getName())) {
                problems.add(
                    where
                        + ": trust domain "
                        + spiffeId.getTrustDomain().getName()
                        + " is not in spire-mgmt.auth.mtls.trust-domains, so it could never match");
                return;
              }
              Role role = Role.fromClaim(p.role()).orElse(null);
              if (role == null) {
                problems.add(where + ".role: '" + p.role() + "' is not a role");
                return;
              }
              UUID site = null;
              if (role == Role.SITE_AGENT) {
                site = p.siteId().map(MtlsPrincipals::uuid).orElse(null);
                if (site == null) {
                  problems.add(where + ".site-id: a SiteAgent needs its site's UUID");
                  return;
                }
              } else if (p.siteId().isPresent()) {
                problems.add(where + ".site-id: only a SiteAgent has a site");
                return;
              }
              Set<String> namespaces = Set.copyOf(p.namespaces().orElse(List.of()));
              if ((role == Role.DEVELOPER) == namespaces.isEmpty()) {
                problems.add(
                    where
                        + ".namespaces: "
                        + (role == Role.DEVELOPER
                            ? "a Developer needs its namespaces"
                            : "only a Developer has namespaces"));
                return;
              }
              out.put(id, new Entry(role, site, namespaces));
            });
    return out;
  }

  private static UUID uuid(String text) {
    try {
      UUID id = UUID.fromString(text);
      return id.toString().equals(text) ? id : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** Whether {@code spiffeId} is a proxy's, which authenticates no one by itself. */
  public boolean proxy(String spiffeId) {
    return proxies.contains(spiffeId);
  }

  /** The identity of a caller that presented a valid SVID for {@code spiffeId}. */
  public SecurityIdentity identity(String spiffeId) {
    QuarkusSecurityIdentity.Builder b =
        QuarkusSecurityIdentity.builder()
            .setPrincipal(new QuarkusPrincipal(spiffeId))
            .addAttribute(CallerResolver.METHOD_ATTRIBUTE, Caller.AuthMethod.MTLS);
    Entry e = principals.get(spiffeId);
    if (e != null) {
      b.addRole(e.role().claim()).addAttribute(CallerResolver.NAMESPACES_ATTRIBUTE, e.namespaces());
      if (e.site() != null) {
        b.addAttribute(CallerResolver.SITE_ATTRIBUTE, e.site());
      }
    }
    return b.build();
  }
}
