package io.spiremgmt.backend.auth;

import static io.spiremgmt.backend.auth.Role.ADMIN;
import static io.spiremgmt.backend.auth.Role.DEVELOPER;
import static io.spiremgmt.backend.auth.Role.OPERATOR;
import static io.spiremgmt.backend.auth.Role.SITE_AGENT;
import static io.spiremgmt.backend.auth.Role.VIEWER;

import com.google.protobuf.Descriptors;
import com.google.protobuf.Message;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.spiremgmt.api.v1.ApiKeyServiceGrpc;
import io.spiremgmt.api.v1.AuditServiceGrpc;
import io.spiremgmt.api.v1.EntryRequestServiceGrpc;
import io.spiremgmt.api.v1.SiteServiceGrpc;
import io.spiremgmt.api.v1.SyncServiceGrpc;
import io.spiremgmt.api.v1.WorkloadEntryServiceGrpc;
import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The authorization table: for every gRPC method of the API, the roles that may call it. A method
 * without a row is denied to everyone, and the service refuses to start while a served method has
 * no row ({@link AccessPolicyCheck}). Scope follows from the role that grants the call: Admin,
 * Operator and Viewer reach everything, a Developer only the entries of its namespaces (enforced on
 * the stored and the requested entry by the entry service), a SiteAgent only calls whose {@code
 * site_id} is its own site (enforced here, on the request).
 */
public final class AccessPolicy {
  private AccessPolicy() {}

  /** The name of the request field a SiteAgent's site is checked against. */
  public static final String SITE_FIELD = "site_id";

  private static final Map<String, Set<Role>> TABLE = new LinkedHashMap<>();

  static {
    // Entries: writes for Admin, Operator and Developer (its namespaces); reads also for Viewer.
    row(WorkloadEntryServiceGrpc.getCreateEntryMethod(), ADMIN, OPERATOR, DEVELOPER);
    row(WorkloadEntryServiceGrpc.getUpdateEntryMethod(), ADMIN, OPERATOR, DEVELOPER);
    row(WorkloadEntryServiceGrpc.getDeleteEntryMethod(), ADMIN, OPERATOR, DEVELOPER);
    row(WorkloadEntryServiceGrpc.getBatchCreateEntriesMethod(), ADMIN, OPERATOR, DEVELOPER);
    row(WorkloadEntryServiceGrpc.getBatchDeleteEntriesMethod(), ADMIN, OPERATOR, DEVELOPER);
    row(WorkloadEntryServiceGrpc.getGetEntryMethod(), ADMIN, OPERATOR, DEVELOPER, VIEWER);
    row(WorkloadEntryServiceGrpc.getListEntriesMethod(), ADMIN, OPERATOR, DEVELOPER, VIEWER);
    // Entry requests: people submit and follow them (a Developer its own and its namespaces');
    // Admins and Operators decide (never their own: the service checks four eyes); the policy is
    // readable by everyone who reads entries and changed by Admins.
    row(EntryRequestServiceGrpc.getSubmitEntryRequestMethod(), ADMIN, OPERATOR, DEVELOPER);
    row(EntryRequestServiceGrpc.getPreviewEntryRequestMethod(), ADMIN, OPERATOR, DEVELOPER);
    row(EntryRequestServiceGrpc.getGetEntryRequestMethod(), ADMIN, OPERATOR, DEVELOPER, VIEWER);
    row(EntryRequestServiceGrpc.getListEntryRequestsMethod(), ADMIN, OPERATOR, DEVELOPER, VIEWER);
    row(EntryRequestServiceGrpc.getApproveEntryRequestMethod(), ADMIN, OPERATOR);
    row(EntryRequestServiceGrpc.getRejectEntryRequestMethod(), ADMIN, OPERATOR);
    row(EntryRequestServiceGrpc.getCancelEntryRequestMethod(), ADMIN, OPERATOR, DEVELOPER);
    row(
        EntryRequestServiceGrpc.getStreamEntryRequestUpdatesMethod(),
        ADMIN,
        OPERATOR,
        DEVELOPER,
        VIEWER);
    row(EntryRequestServiceGrpc.getGetApprovalPolicyMethod(), ADMIN, OPERATOR, DEVELOPER, VIEWER);
    row(EntryRequestServiceGrpc.getUpdateApprovalPolicyMethod(), ADMIN);
    // Sites: changes for Admin only; everyone but agents reads them (the request wizard lists
    // them).
    row(SiteServiceGrpc.getCreateSiteMethod(), ADMIN);
    row(SiteServiceGrpc.getUpdateSiteMethod(), ADMIN);
    row(SiteServiceGrpc.getDeleteSiteMethod(), ADMIN);
    row(SiteServiceGrpc.getGetSiteMethod(), ADMIN, OPERATOR, DEVELOPER, VIEWER);
    row(SiteServiceGrpc.getListSitesMethod(), ADMIN, OPERATOR, DEVELOPER, VIEWER);
    row(SiteServiceGrpc.getGetSiteHealthMethod(), ADMIN, OPERATOR, DEVELOPER, VIEWER);
    // Sync, for people: Operators act, Viewers watch; a Developer watches its namespaces' entries.
    row(SyncServiceGrpc.getTriggerSyncMethod(), ADMIN, OPERATOR);
    row(SyncServiceGrpc.getGetSyncStatusMethod(), ADMIN, OPERATOR, VIEWER);
    row(SyncServiceGrpc.getStreamSyncUpdatesMethod(), ADMIN, OPERATOR, DEVELOPER, VIEWER);
    row(SyncServiceGrpc.getListUnmanagedEntriesMethod(), ADMIN, OPERATOR, VIEWER);
    // Sync, for agents: their own site only. ListSiteEntries is read-only (dry runs, inspection).
    row(SyncServiceGrpc.getAcquireLeaseMethod(), ADMIN, SITE_AGENT);
    row(SyncServiceGrpc.getPollEntriesMethod(), ADMIN, SITE_AGENT);
    row(SyncServiceGrpc.getReportSyncResultMethod(), ADMIN, SITE_AGENT);
    row(SyncServiceGrpc.getReportReconcileMethod(), ADMIN, SITE_AGENT);
    row(SyncServiceGrpc.getListSiteEntriesMethod(), ADMIN, OPERATOR, VIEWER, SITE_AGENT);
    // Audit: the trail is readable by everyone who reads everything, and by a Developer for the
    // entries of its namespaces; the chain check is Admin's.
    row(AuditServiceGrpc.getListAuditEventsMethod(), ADMIN, OPERATOR, DEVELOPER, VIEWER);
    row(AuditServiceGrpc.getVerifyAuditChainMethod(), ADMIN);
    // API keys: Admin only.
    row(ApiKeyServiceGrpc.getCreateApiKeyMethod(), ADMIN);
    row(ApiKeyServiceGrpc.getListApiKeysMethod(), ADMIN);
    row(ApiKeyServiceGrpc.getRevokeApiKeyMethod(), ADMIN);
  }

  private static void row(MethodDescriptor<?, ?> method, Role... roles) {
    if (TABLE.put(method.getFullMethodName(), Set.copyOf(EnumSet.of(roles[0], roles))) != null) {
      throw new IllegalStateException("two rows for " + method.getFullMethodName());
    }
  }

  /** Whether {@code fullMethodName} has a row (every call asks: no copy of the table). */
  public static boolean hasRow(String fullMethodName) {
    return TABLE.containsKey(fullMethodName);
  }

  /**
   * Whether a service or method name is outside the table by design: gRPC's own health and
   * reflection services, which carry no data.
   */
  public static boolean exempt(String name) {
    return name.startsWith("grpc.");
  }

  /**
   * Decides the call of {@code method} by {@code caller} with {@code request}: the access granted,
   * or an {@link ApiException} with a PERMISSION_DENIED reason that says what is missing.
   */
  public static Access decide(String method, Caller caller, Message request) {
    Set<Role> allowed = TABLE.get(method);
    if (allowed == null) {
      throw ApiException.of(
          ErrorReason.ROLE_NOT_ALLOWED, method + " has no authorization rule: denied by default");
    }
    Set<Role> granting = EnumSet.noneOf(Role.class);
    caller.roles().stream().filter(allowed::contains).forEach(granting::add);
    if (granting.isEmpty()) {
      throw ApiException.of(
          ErrorReason.ROLE_NOT_ALLOWED,
          shortName(method)
              + " needs one of the roles "
              + names(allowed)
              + "; the caller has "
              + (caller.roles().isEmpty() ? "none" : names(caller.roles())));
    }
    if (granting.contains(ADMIN) || granting.contains(OPERATOR) || granting.contains(VIEWER)) {
      return Access.all();
    }
    if (granting.contains(DEVELOPER)) {
      // Without namespaces a Developer still reads sites; every entry is outside its scope.
      return Access.namespaces(caller.namespaces());
    }
    return siteAccess(method, caller, request);
  }

  private static Access siteAccess(String method, Caller caller, Message request) {
    if (caller.site() == null) {
      throw ApiException.of(
          ErrorReason.OUTSIDE_SCOPE, "the caller is a SiteAgent but its credentials name no site");
    }
    Descriptors.FieldDescriptor field =
        request == null ? null : request.getDescriptorForType().findFieldByName(SITE_FIELD);
    String asked = field == null ? "" : (String) request.getField(field);
    if (!caller.site().toString().equals(asked)) {
      throw ApiException.field(
          ErrorReason.OUTSIDE_SCOPE,
          SITE_FIELD,
          "a SiteAgent may only call "
              + shortName(method)
              + " for its own site ("
              + caller.site()
              + ")");
    }
    return Access.site(caller.site());
  }

  /**
   * What is wrong with the table for the {@code served} services: served methods without a row,
   * rows for methods nobody serves, and SiteAgent rows whose request has no {@code site_id}.
   */
  public static List<String> problems(Collection<ServiceDescriptor> served) {
    List<String> problems = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (ServiceDescriptor service : served) {
      if (exempt(service.getName())) {
        continue;
      }
      for (MethodDescriptor<?, ?> method : service.getMethods()) {
        String name = method.getFullMethodName();
        seen.add(name);
        Set<Role> roles = TABLE.get(name);
        if (roles == null) {
          problems.add(name + " has no row in the authorization table (AccessPolicy)");
        } else if (roles.contains(SITE_AGENT) && !hasSiteField(method)) {
          problems.add(
              name + " grants SiteAgent but its request has no string field " + SITE_FIELD);
        }
      }
    }
    new TreeSet<>(TABLE.keySet())
        .stream()
            .filter(name -> !seen.contains(name))
            .forEach(name -> problems.add(name + " has a row but no service serves it"));
    return problems;
  }

  private static boolean hasSiteField(MethodDescriptor<?, ?> method) {
    if (!(method.getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller<?> p)
        || !(p.getMessagePrototype() instanceof Message prototype)) {
      return false;
    }
    Descriptors.FieldDescriptor field =
        prototype.getDescriptorForType().findFieldByName(SITE_FIELD);
    return field != null
        && field.getJavaType() == Descriptors.FieldDescriptor.JavaType.STRING
        && !field.isRepeated();
  }

  private static String shortName(String method) {
    return method.substring(method.lastIndexOf('.') + 1);
  }

  private static String names(Collection<Role> roles) {
    return roles.stream().sorted().map(Role::claim).collect(Collectors.joining(", "));
  }
}
