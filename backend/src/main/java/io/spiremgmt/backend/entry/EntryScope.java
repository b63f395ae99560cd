package io.spiremgmt.backend.entry;

import io.spiremgmt.backend.auth.Access;
import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import io.spiremgmt.backend.validation.Ids;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * How an entry belongs to Kubernetes namespaces, and what a caller with {@link
 * Access.Kind#NAMESPACES} access may do with it.
 *
 * <ul>
 *   <li>An entry's <b>namespaces</b> are the values N of its selectors {@code k8s:ns:N} (in either
 *       spelling, {@code k8s:ns}/{@code N} or {@code k8s}/{@code ns:N}).
 *   <li>A SPIFFE ID is <b>in</b> namespace N when its path starts with {@code /ns/N/} (or is {@code
 *       /ns/N}), the layout of SPIRE's Kubernetes registrars.
 *   <li>A scoped caller <b>sees</b> an entry (get, list) when at least one of the entry's
 *       namespaces is the caller's.
 *   <li>A scoped caller may <b>write</b> an entry (create it, or update or delete it, where both
 *       the stored and the resulting entry count) when the entry has at least one namespace, all of
 *       them are the caller's, its SPIFFE ID is in one of the caller's namespaces, every DNS name
 *       is a Kubernetes service name of one of them ({@code <service>.<N>.svc} or {@code
 *       <service>.<N>.svc.<cluster domain>}, the configured {@code spire-mgmt.auth.cluster-domain};
 *       no wildcards), it federates with no other trust domain, and it is neither an admin nor a
 *       downstream entry. DNS names and federation reach beyond the namespace (an SVID for another
 *       host name, trust by another domain), so they are an Operator's to grant.
 *   <li>A scoped caller's requested DNS name that is not a service name of that form at all is
 *       malformed for it: INVALID_ARGUMENT ({@code INVALID_DNS_NAME}) naming the name's field; one
 *       of the form but of another namespace is OUTSIDE_SCOPE, as every other scope rule.
 * </ul>
 */
public final class EntryScope {
  private EntryScope() {}

  private static final String NS_PREFIX = "k8s:ns:";

  /** The namespaces of an entry with these selectors. */
  public static Set<String> namespaces(List<SelectorValue> selectors) {
    Set<String> namespaces = new LinkedHashSet<>();
    for (SelectorValue selector : selectors) {
      String canonical = selector.canonical();
      if (canonical.startsWith(NS_PREFIX) && canonical.length() > NS_PREFIX.length()) {
        namespaces.add(canonical.substring(NS_PREFIX.length()));
      }
    }
    return namespaces;
  }

  /** The namespace a SPIFFE ID's path puts it in, or null. */
  static String spiffeIdNamespace(String spiffeId) {
    int pathStart = spiffeId.indexOf('/', "spiffe://".length());
    if (pathStart < 0) {
      return null;
    }
    String path = spiffeId.substring(pathStart);
    if (!path.startsWith("/ns/")) {
      return null;
    }
    int end = path.indexOf('/', "/ns/".length());
    String ns = end < 0 ? path.substring("/ns/".length()) : path.substring("/ns/".length(), end);
    return ns.isEmpty() ? null : ns;
  }

  /**
   * The namespace N of a Kubernetes service DNS name {@code <service>.N.svc} or {@code
   * <service>.N.svc.<clusterDomain>} (compared without case), or null for any other name.
   */
  static String serviceNamespace(String dns, String clusterDomain) {
    String name = dns.toLowerCase(Locale.ROOT);
    String suffix = "." + clusterDomain.toLowerCase(Locale.ROOT);
    if (name.endsWith(suffix)) {
      name = name.substring(0, name.length() - suffix.length());
    }
    String[] labels = name.split("\\.", -1);
    if (labels.length != 3 || !labels[2].equals("svc")) {
      return null;
    }
    for (String label : labels) {
      if (label.isEmpty() || label.contains("*")) {
        return null;
      }
    }
    return labels[1];
  }

  /** Whether a caller with {@code access} sees an entry with these selectors. */
  public static boolean visible(Access access, List<SelectorValue> selectors) {
    if (access.kind() != Access.Kind.NAMESPACES) {
      return access.unrestricted();
    }
    return namespaces(selectors).stream().anyMatch(access.namespaces()::contains);
  }

  /**
   * Fails with OUTSIDE_SCOPE unless a caller with {@code access} may write {@code spec}, which the
   * caller asked for ({@code requested}) or which is stored under {@code id}.
   */
  public static void requireWritable(
      Access access, EntrySpec spec, boolean requested, String id, String clusterDomain) {
    if (access.unrestricted()) {
      return;
    }
    if (access.kind() != Access.Kind.NAMESPACES) {
      throw ApiException.of(ErrorReason.OUTSIDE_SCOPE, "the caller may not write entries");
    }
    if (requested) {
      requireServiceNames(spec.dnsNames(), clusterDomain);
    }
    String problem = problem(access.namespaces(), spec, clusterDomain);
    if (problem == null) {
      return;
    }
    if (!requested) {
      // The stored entry is not the caller's: say so without describing it.
      throw ApiException.of(
          ErrorReason.OUTSIDE_SCOPE,
          "entry " + id + " is outside your namespaces " + new TreeSet<>(access.namespaces()));
    }
    throw ApiException.field(
        ErrorReason.OUTSIDE_SCOPE,
        "entry",
        problem
            + " (your namespaces: "
            + String.join(", ", new TreeSet<>(access.namespaces()))
            + ")");
  }

  /** Fails with OUTSIDE_SCOPE unless a caller with {@code access} sees the stored entry. */
  public static void requireVisible(Access access, EntrySpec spec, String id) {
    if (!visible(access, spec.selectors())) {
      throw ApiException.of(
          ErrorReason.OUTSIDE_SCOPE,
          "entry " + id + " is outside your namespaces " + new TreeSet<>(access.namespaces()));
    }
  }

  /**
   * Fails with INVALID_DNS_NAME, naming the field, on the first DNS name that is not a Kubernetes
   * service name with the cluster domain {@code clusterDomain} (or none).
   */
  private static void requireServiceNames(List<String> dnsNames, String clusterDomain) {
    for (int i = 0; i < dnsNames.size(); i++) {
      String dns = dnsNames.get(i);
      if (serviceNamespace(dns, clusterDomain) == null) {
        throw ApiException.field(
            ErrorReason.INVALID_DNS_NAME,
            "entry.dns_names[" + i + "]",
            "'"
                + Ids.clip(dns)
                + "' is not a Kubernetes service name: a Developer's DNS names must be"
                + " <service>.<namespace>.svc or <service>.<namespace>.svc."
                + clusterDomain
                + " (the cluster domain), without wildcards");
      }
    }
  }

  private static String problem(Set<String> allowed, EntrySpec spec, String clusterDomain) {
    if (spec.admin() || spec.downstream()) {
      return "a Developer may not write admin or downstream entries";
    }
    Set<String> namespaces = namespaces(spec.selectors());
    if (namespaces.isEmpty()) {
      return "the entry needs a k8s:ns selector naming one of your namespaces";
    }
    for (String ns : namespaces) {
      if (!allowed.contains(ns)) {
        return "selector k8s:ns:" + ns + " is outside your namespaces";
      }
    }
    String idNamespace = spiffeIdNamespace(spec.spiffeId());
    if (idNamespace == null || !allowed.contains(idNamespace)) {
      return "the SPIFFE ID must be under /ns/<one of your namespaces>/";
    }
    for (String dns : spec.dnsNames()) {
      String ns = serviceNamespace(dns, clusterDomain);
      if (ns == null || !allowed.contains(ns)) {
        return "DNS name '"
            + Ids.clip(dns)
            + "' is not a service name <service>.<namespace>.svc[."
            + clusterDomain
            + "] of your namespaces";
      }
    }
    if (!spec.federatesWith().isEmpty()) {
      return "a Developer may not make entries federate with other trust domains";
    }
    return null;
  }
}
