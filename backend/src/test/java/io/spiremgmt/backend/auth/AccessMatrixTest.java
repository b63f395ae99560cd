package io.spiremgmt.backend.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Descriptors;
import com.google.protobuf.Message;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.api.v1.ApiKeyServiceGrpc;
import io.spiremgmt.api.v1.AuditServiceGrpc;
import io.spiremgmt.api.v1.EntryRequestServiceGrpc;
import io.spiremgmt.api.v1.SiteServiceGrpc;
import io.spiremgmt.api.v1.SyncServiceGrpc;
import io.spiremgmt.api.v1.WorkloadEntryServiceGrpc;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.ApiKeys;
import io.spiremgmt.backend.support.Fixtures;
import io.spiremgmt.backend.support.TestDatabase;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every RPC of the API × every kind of caller → allowed or PERMISSION_DENIED (UNAUTHENTICATED
 * without credentials), over real gRPC. The expectations below are written out independently of
 * {@link AccessPolicy}; a served RPC without an expectation fails the test, so a new RPC cannot be
 * added without deciding who may call it. "Allowed" means the call got past authorization: any
 * answer but PERMISSION_DENIED, UNAUTHENTICATED, UNIMPLEMENTED or INTERNAL (the requests are mostly
 * empty, so most allowed calls end INVALID_ARGUMENT or FAILED_PRECONDITION).
 */
@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AccessMatrixTest {
  /** Who may call what: method → the callers allowed (A, O, D, V, S = SiteAgent of its site). */
  private static final Map<String, String> EXPECTED = new LinkedHashMap<>();

  static {
    expect("WorkloadEntryService/CreateEntry", "AOD");
    expect("WorkloadEntryService/GetEntry", "AODV");
    expect("WorkloadEntryService/UpdateEntry", "AOD");
    expect("WorkloadEntryService/DeleteEntry", "AOD");
    expect("WorkloadEntryService/ListEntries", "AODV");
    expect("WorkloadEntryService/BatchCreateEntries", "AOD");
    expect("WorkloadEntryService/BatchDeleteEntries", "AOD");
    expect("SiteService/CreateSite", "A");
    expect("SiteService/GetSite", "AODV");
    expect("SiteService/UpdateSite", "A");
    expect("SiteService/DeleteSite", "A");
    expect("SiteService/ListSites", "AODV");
    expect("SiteService/GetSiteHealth", "AODV");
    expect("SyncService/TriggerSync", "AO");
    expect("SyncService/GetSyncStatus", "AOV");
    expect("SyncService/StreamSyncUpdates", "AODV");
    expect("SyncService/PollEntries", "AS");
    expect("SyncService/ReportSyncResult", "AS");
    expect("SyncService/AcquireLease", "AS");
    expect("SyncService/ListSiteEntries", "AOVS");
    expect("SyncService/ReportReconcile", "AS");
    expect("SyncService/ListUnmanagedEntries", "AOV");
    expect("AuditService/ListAuditEvents", "AODV");
    expect("AuditService/VerifyAuditChain", "A");
    expect("ApiKeyService/CreateApiKey", "A");
    expect("ApiKeyService/ListApiKeys", "A");
    expect("ApiKeyService/RevokeApiKey", "A");
    expect("EntryRequestService/SubmitEntryRequest", "AOD");
    expect("EntryRequestService/PreviewEntryRequest", "AOD");
    expect("EntryRequestService/GetEntryRequest", "AODV");
    expect("EntryRequestService/ListEntryRequests", "AODV");
    expect("EntryRequestService/ApproveEntryRequest", "AO");
    expect("EntryRequestService/RejectEntryRequest", "AO");
    expect("EntryRequestService/CancelEntryRequest", "AOD");
    expect("EntryRequestService/StreamEntryRequestUpdates", "AODV");
    expect("EntryRequestService/GetApprovalPolicy", "AODV");
    expect("EntryRequestService/UpdateApprovalPolicy", "A");
  }

  private static void expect(String method, String callers) {
    EXPECTED.put("spire.mgmt.v1." + method, callers);
  }

  private static final List<ServiceDescriptor> SERVICES =
      List.of(
          WorkloadEntryServiceGrpc.getServiceDescriptor(),
          SiteServiceGrpc.getServiceDescriptor(),
          SyncServiceGrpc.getServiceDescriptor(),
          AuditServiceGrpc.getServiceDescriptor(),
          ApiKeyServiceGrpc.getServiceDescriptor(),
          EntryRequestServiceGrpc.getServiceDescriptor());

  private String site;
  private Map<String, Metadata> callers;
  private Map<String, Metadata> refusedKeys;

  @BeforeAll
  void setUp() {
    String admin = Api.adminToken("matrix-admin");
    site = Fixtures.site(admin, Fixtures.trustDomain()).getId();
    String otherSite = Fixtures.site(admin, Fixtures.trustDomain()).getId();
    // Callers named by a role letter are allowed what the matrix gives that letter; every other
    // caller is denied everything.
    callers = new LinkedHashMap<>();
    callers.put("A", Api.bearer(admin));
    callers.put("O", Api.bearer(Api.token("matrix-operator", List.of("Operator"), Map.of())));
    callers.put("D", Api.bearer(Api.developerToken("matrix-developer", "payments")));
    callers.put("V", Api.bearer(Api.token("matrix-viewer", List.of("Viewer"), Map.of())));
    callers.put(
        "S", Api.bearer(Api.token("matrix-agent", List.of("SiteAgent"), Map.of("site_id", site))));
    // The same roles through API keys: the table does not depend on how a caller authenticated.
    callers.put("O (API key)", ApiKeys.header(ApiKeys.create(admin, "Operator", List.of(), "")));
    callers.put(
        "D (API key)", ApiKeys.header(ApiKeys.create(admin, "Developer", List.of("payments"), "")));
    callers.put("S (API key)", ApiKeys.header(ApiKeys.create(admin, "SiteAgent", List.of(), site)));
    callers.put(
        "wrong-site agent",
        Api.bearer(
            Api.token("matrix-agent-2", List.of("SiteAgent"), Map.of("site_id", otherSite))));
    callers.put(
        "wrong-site agent key",
        ApiKeys.header(ApiKeys.create(admin, "SiteAgent", List.of(), otherSite)));
    callers.put(
        "agent without site",
        Api.bearer(Api.token("matrix-agent-3", List.of("SiteAgent"), Map.of())));
    callers.put(
        "D (no namespaces: reads sites, every entry is outside its scope)",
        Api.bearer(Api.token("matrix-dev-2", List.of("Developer"), Map.of())));
    callers.put("no role", Api.bearer(Api.token("matrix-nobody", List.of(), Map.of())));
    callers.put(
        "unknown role", Api.bearer(Api.token("matrix-root", List.of("root", "admin"), Map.of())));
    refusedKeys = new LinkedHashMap<>();
    refusedKeys.put("revoked Admin key", ApiKeys.header(ApiKeys.revoked(admin)));
    refusedKeys.put("expired Admin key", ApiKeys.header(ApiKeys.expired(admin)));
  }

  static Stream<Arguments> methods() {
    List<Arguments> all = new ArrayList<>();
    for (ServiceDescriptor service : SERVICES) {
      for (MethodDescriptor<?, ?> method : service.getMethods()) {
        all.add(Arguments.of(method.getFullMethodName(), method));
      }
    }
    return all.stream();
  }

  @Test
  void everyServedMethodHasAnExpectationAndARowAndNothingElseHasOne() {
    // Given
    List<String> served =
        SERVICES.stream()
            .flatMap(s -> s.getMethods().stream())
            .map(MethodDescriptor::getFullMethodName)
            .toList();

    // When
    var problems = AccessPolicy.problems(SERVICES);

    // Then
    assertThat(EXPECTED.keySet()).containsExactlyInAnyOrderElementsOf(served);
    assertThat(problems).isEmpty();
  }

  @Test
  void theStartUpCheckNamesMethodsWithoutRowsAndRowsWithoutMethods() {
    // Given: the API without the audit service, plus a service nobody wrote a row for
    ServiceDescriptor stray =
        ServiceDescriptor.newBuilder("spire.mgmt.v1.StrayService")
            .addMethod(
                WorkloadEntryServiceGrpc.getGetEntryMethod().toBuilder()
                    .setFullMethodName("spire.mgmt.v1.StrayService/Get")
                    .build())
            .build();
    List<ServiceDescriptor> served =
        List.of(
            WorkloadEntryServiceGrpc.getServiceDescriptor(),
            SiteServiceGrpc.getServiceDescriptor(),
            SyncServiceGrpc.getServiceDescriptor(),
            ApiKeyServiceGrpc.getServiceDescriptor(),
            EntryRequestServiceGrpc.getServiceDescriptor(),
            stray);

    // When
    List<String> problems = AccessPolicy.problems(served);

    // Then
    assertThat(problems)
        .containsExactly(
            "spire.mgmt.v1.StrayService/Get has no row in the authorization table (AccessPolicy)",
            "spire.mgmt.v1.AuditService/ListAuditEvents has a row but no service serves it",
            "spire.mgmt.v1.AuditService/VerifyAuditChain has a row but no service serves it");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("methods")
  void eachCallerIsAllowedExactlyWhatTheMatrixSays(String name, MethodDescriptor<?, ?> method) {
    // Given
    String allowed = EXPECTED.get(name);
    assertThat(allowed).as("expectation for " + name).isNotNull();

    for (Map.Entry<String, Metadata> caller : callers.entrySet()) {
      // When
      Status.Code code = call(method, caller.getValue());

      // Then
      String who = caller.getKey();
      boolean expectAllowed =
          (who.length() == 1 || who.charAt(1) == ' ' && who.charAt(2) == '(')
              && allowed.contains(who.substring(0, 1));
      if (expectAllowed) {
        assertThat(code)
            .as(caller.getKey() + " calling " + name)
            .isNotIn(
                Status.Code.PERMISSION_DENIED,
                Status.Code.UNAUTHENTICATED,
                Status.Code.UNIMPLEMENTED,
                Status.Code.INTERNAL);
      } else {
        assertThat(code)
            .as(caller.getKey() + " calling " + name)
            .isEqualTo(Status.Code.PERMISSION_DENIED);
      }
    }
    assertThat(call(method, null))
        .as("no credentials calling " + name)
        .isEqualTo(Status.Code.UNAUTHENTICATED);
    refusedKeys.forEach(
        (who, key) ->
            assertThat(call(method, key))
                .as(who + " calling " + name)
                .isEqualTo(Status.Code.UNAUTHENTICATED));
  }

  /** Calls {@code method} with an empty request (site_id set to the agent's site); the code. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private Status.Code call(MethodDescriptor<?, ?> method, Metadata credentials) {
    Message prototype =
        (Message)
            ((MethodDescriptor.PrototypeMarshaller<?>) method.getRequestMarshaller())
                .getMessagePrototype();
    Message.Builder request = prototype.toBuilder();
    Descriptors.FieldDescriptor siteField =
        prototype.getDescriptorForType().findFieldByName("site_id");
    if (siteField != null && !siteField.isRepeated()) {
      request.setField(siteField, site);
    }
    Channel channel =
        credentials == null
            ? Api.channel()
            : ClientInterceptors.intercept(
                Api.channel(), MetadataUtils.newAttachHeadersInterceptor(credentials));
    CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(3, TimeUnit.SECONDS);
    MethodDescriptor raw = method;
    try {
      if (method.getType() == MethodDescriptor.MethodType.SERVER_STREAMING) {
        Iterator<?> it =
            ClientCalls.blockingServerStreamingCall(channel, raw, options, request.build());
        it.hasNext();
      } else {
        ClientCalls.blockingUnaryCall(channel, raw, options, request.build());
      }
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  @Test
  void unknownRoleNamesGrantNothing() {
    // Given
    Set<String> claimed = Set.of("root", "admin", "Admin");

    // When
    var roles = Role.fromClaims(claimed);

    // Then
    assertThat(roles).containsExactly(Role.ADMIN);
  }
}
