package io.spiremgmt.backend.entry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.spiremgmt.backend.auth.Access;
import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EntryScopeTest {
  private static final Access DEV = Access.namespaces(Set.of("payments", "checkout"));
  private static final String CLUSTER = "cluster.local";

  private static EntrySpec spec(String spiffeId, boolean admin, SelectorValue... selectors) {
    return new EntrySpec(
        spiffeId,
        "spiffe://td/spire/agent/x",
        List.of(selectors),
        0,
        List.of(),
        admin,
        false,
        null,
        List.of(),
        List.of(),
        0,
        "",
        false);
  }

  private static SelectorValue sel(String type, String value) {
    return new SelectorValue(type, value);
  }

  @Test
  void namespacesAreTheValuesOfK8sNsSelectorsInEitherSpelling() {
    // Given
    List<SelectorValue> selectors =
        List.of(
            sel("k8s:ns", "payments"),
            sel("k8s", "ns:billing"),
            sel("k8s:sa", "api"),
            sel("unix", "ns:nope"));

    // When
    Set<String> namespaces = EntryScope.namespaces(selectors);

    // Then
    assertThat(namespaces).containsExactly("payments", "billing");
  }

  @ParameterizedTest
  @CsvSource({
    "spiffe://td/ns/payments/sa/api, payments",
    "spiffe://td/ns/payments, payments",
    "spiffe://td/nsx/payments, ",
    "spiffe://td/payments/ns/x, ",
    "spiffe://td, ",
    "spiffe://td/ns/, "
  })
  void aSpiffeIdIsInTheNamespaceItsPathStartsWith(String id, String ns) {
    // Given: a SPIFFE ID and its namespace, if any (the parameters)

    // When
    String namespace = EntryScope.spiffeIdNamespace(id);

    // Then
    assertThat(namespace).isEqualTo(ns);
  }

  @Test
  void aScopedCallerMayWriteAnEntryWhoseNamespacesAndSpiffeIdAreAllItsOwn() {
    // Given
    EntrySpec own =
        spec(
            "spiffe://td/ns/payments/sa/api",
            false,
            sel("k8s:ns", "payments"),
            sel("k8s:sa", "api"));

    // When / Then
    assertThatCode(() -> EntryScope.requireWritable(DEV, own, true, null, CLUSTER))
        .doesNotThrowAnyException();
  }

  @Test
  void refusesEveryWayOutOfScopeNamingTheProblem() {
    // Given: a caller scoped to payments and checkout (DEV)

    // When / Then: each entry is out of scope in one way, and the refusal names it
    assertDenied(
        spec("spiffe://td/ns/payments/sa/api", false, sel("k8s:sa", "api")), "needs a k8s:ns");
    assertDenied(
        spec(
            "spiffe://td/ns/payments/x",
            false,
            sel("k8s:ns", "payments"),
            sel("k8s:ns", "billing")),
        "k8s:ns:billing is outside");
    assertDenied(spec("spiffe://td/ns/billing/x", false, sel("k8s:ns", "payments")), "SPIFFE ID");
    assertDenied(spec("spiffe://td/payments/x", false, sel("k8s:ns", "payments")), "SPIFFE ID");
    assertDenied(spec("spiffe://td/ns/payments/x", true, sel("k8s:ns", "payments")), "admin");
    assertDenied(
        withDns(
            spec("spiffe://td/ns/payments/x", false, sel("k8s:ns", "payments")), "api.billing.svc"),
        "DNS name 'api.billing.svc'");
    assertDenied(
        withDns(
            spec("spiffe://td/ns/payments/x", false, sel("k8s:ns", "payments")),
            "api.billing.svc.cluster.local"),
        "DNS name 'api.billing.svc.cluster.local'");
    assertDenied(
        withFederation(spec("spiffe://td/ns/payments/x", false, sel("k8s:ns", "payments"))),
        "federate");
  }

  @Test
  void serviceDnsNamesOfItsNamespacesAreAllowed() {
    // Given
    EntrySpec withServiceNames =
        withDns(
            spec("spiffe://td/ns/payments/sa/api", false, sel("k8s:ns", "payments")),
            "api.payments.svc",
            "api.checkout.svc.cluster.local");

    // When / Then
    assertThatCode(() -> EntryScope.requireWritable(DEV, withServiceNames, true, null, CLUSTER))
        .doesNotThrowAnyException();
  }

  @ParameterizedTest
  @CsvSource({
    "api.example.com, cluster.local",
    "*.payments.svc, cluster.local",
    "api.payments.svc.evil.example, cluster.local",
    "api.payments.svc.cluster.local.evil.example, cluster.local",
    "api.payments.svc.cluster, cluster.local",
    "api.payments.svc.cluster.local, corp.internal",
    "api.payments.svc.local, cluster.local",
    "payments.svc, cluster.local",
    "a.api.payments.svc, cluster.local"
  })
  void aDnsNameThatIsNotAServiceNameWithTheClusterDomainIsInvalidNamingItsField(
      String dns, String clusterDomain) {
    // Given: a Developer's entry with a service name of its namespace and then the name
    EntrySpec entry =
        withDns(
            spec("spiffe://td/ns/payments/x", false, sel("k8s:ns", "payments")),
            "web.payments.svc",
            dns);

    // When
    Throwable refusal =
        catchThrowable(() -> EntryScope.requireWritable(DEV, entry, true, null, clusterDomain));

    // Then
    assertThat(refusal)
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(ErrorReason.INVALID_DNS_NAME);
              assertThat(e.field()).isEqualTo("entry.dns_names[1]");
              assertThat(e.getMessage())
                  .contains("'" + dns + "'", "<service>.<namespace>.svc." + clusterDomain);
            });
  }

  @ParameterizedTest
  @CsvSource({
    "api.payments.svc, cluster.local",
    "api.payments.svc.cluster.local, cluster.local",
    "API.Payments.SVC.Cluster.Local, cluster.local",
    "api.payments.svc.corp.internal, corp.internal"
  })
  void serviceNamesWithOrWithoutTheConfiguredClusterDomainAreAllowed(
      String dns, String clusterDomain) {
    // Given
    EntrySpec entry =
        withDns(spec("spiffe://td/ns/payments/x", false, sel("k8s:ns", "payments")), dns);

    // When / Then
    assertThatCode(() -> EntryScope.requireWritable(DEV, entry, true, null, clusterDomain))
        .doesNotThrowAnyException();
  }

  @Test
  void aStoredEntryWithAnotherDnsNameIsOutOfScopeNotInvalid() {
    // Given: an entry an Operator stored with a host name outside the cluster
    EntrySpec stored =
        withDns(
            spec("spiffe://td/ns/payments/x", false, sel("k8s:ns", "payments")),
            "api.payments.svc.evil.example");

    // When
    Throwable refusal =
        catchThrowable(() -> EntryScope.requireWritable(DEV, stored, false, "e1", CLUSTER));

    // Then
    assertThat(refusal)
        .isInstanceOfSatisfying(
            ApiException.class, e -> assertThat(e.reason()).isEqualTo(ErrorReason.OUTSIDE_SCOPE));
  }

  private static EntrySpec withDns(EntrySpec s, String... dns) {
    return new EntrySpec(
        s.spiffeId(),
        s.parentId(),
        s.selectors(),
        s.ttl(),
        List.of(dns),
        s.admin(),
        s.downstream(),
        s.expiresAt(),
        s.siteIds(),
        s.federatesWith(),
        s.jwtSvidTtl(),
        s.hint(),
        s.storeSvid());
  }

  private static EntrySpec withFederation(EntrySpec s) {
    return new EntrySpec(
        s.spiffeId(),
        s.parentId(),
        s.selectors(),
        s.ttl(),
        s.dnsNames(),
        s.admin(),
        s.downstream(),
        s.expiresAt(),
        s.siteIds(),
        List.of("spiffe://partner.example"),
        s.jwtSvidTtl(),
        s.hint(),
        s.storeSvid());
  }

  @Test
  void aStoredEntryOutOfScopeIsNamedOnlyByItsId() {
    // Given: a stored entry of another namespace
    String id = UUID.randomUUID().toString();
    EntrySpec stored = spec("spiffe://td/ns/billing/secret", false, sel("k8s:ns", "billing"));

    // When
    Throwable refusal =
        catchThrowable(() -> EntryScope.requireWritable(DEV, stored, false, id, CLUSTER));

    // Then
    assertThat(refusal)
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(ErrorReason.OUTSIDE_SCOPE);
              assertThat(e.getMessage()).contains(id).doesNotContain("billing", "secret");
            });
  }

  @Test
  void visibilityNeedsOneSharedNamespaceAndUnrestrictedCallersSeeEverything() {
    // Given
    List<SelectorValue> mixed = List.of(sel("k8s:ns", "payments"), sel("k8s:ns", "billing"));
    List<SelectorValue> billing = List.of(sel("k8s:ns", "billing"));

    // When
    boolean devSeesMixed = EntryScope.visible(DEV, mixed);
    boolean devSeesBilling = EntryScope.visible(DEV, billing);
    boolean unrestrictedSeesBilling = EntryScope.visible(Access.all(), billing);
    boolean siteSeesMixed = EntryScope.visible(Access.site(UUID.randomUUID()), mixed);

    // Then
    assertThat(devSeesMixed).isTrue();
    assertThat(devSeesBilling).isFalse();
    assertThat(unrestrictedSeesBilling).isTrue();
    assertThat(siteSeesMixed).isFalse();
  }

  private static void assertDenied(EntrySpec spec, String message) {
    assertThatThrownBy(() -> EntryScope.requireWritable(DEV, spec, true, null, CLUSTER))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(ErrorReason.OUTSIDE_SCOPE);
              assertThat(e.getMessage()).contains(message).contains("checkout, payments");
            });
  }
}
