package io.spiremgmt.backend.audit;

import static io.spiremgmt.backend.support.Fixtures.create;
import static io.spiremgmt.backend.support.Fixtures.entry;
import static io.spiremgmt.backend.support.GrpcAssertions.assertFails;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.FieldMask;
import com.google.protobuf.Timestamp;
import io.grpc.Status;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.spiremgmt.api.v1.AuditEvent;
import io.spiremgmt.api.v1.DeleteEntryRequest;
import io.spiremgmt.api.v1.Entry;
import io.spiremgmt.api.v1.ListAuditEventsRequest;
import io.spiremgmt.api.v1.ListAuditEventsResponse;
import io.spiremgmt.api.v1.Site;
import io.spiremgmt.api.v1.UpdateEntryRequest;
import io.spiremgmt.backend.support.Api;
import io.spiremgmt.backend.support.Fixtures;
import io.spiremgmt.backend.support.TestDatabase;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

@QuarkusTest
@QuarkusTestResource(TestDatabase.class)
class AuditApiTest {

  @Test
  void recordsEveryMutationWithActorBeforeAndAfter() {
    // Given
    String actor = "auditor-" + Fixtures.unique();
    String token = Api.adminToken(actor);
    String td = Fixtures.trustDomain();
    Site site = Fixtures.site(token, td);
    Entry created = create(token, entry(td, "/audited", site.getId()));
    Api.entries(token)
        .updateEntry(
            UpdateEntryRequest.newBuilder()
                .setEntry(created.toBuilder().setTtl(60))
                .setUpdateMask(FieldMask.newBuilder().addPaths("ttl"))
                .setRequestId("change-7")
                .build());
    Api.entries(token).deleteEntry(DeleteEntryRequest.newBuilder().setId(created.getId()).build());

    // When
    List<AuditEvent> events =
        listAll(token, ListAuditEventsRequest.newBuilder().setActor(actor), 2);
    List<AuditEvent> entryEvents =
        listAll(
            token,
            ListAuditEventsRequest.newBuilder().setTargetType("entry").setTargetId(created.getId()),
            1);

    // Then
    assertThat(events)
        .extracting(AuditEvent::getAction)
        .containsExactly("entry.delete", "entry.update", "entry.create", "site.create");
    assertThat(entryEvents)
        .extracting(AuditEvent::getAction)
        .containsExactly("entry.delete", "entry.update", "entry.create");
    AuditEvent update = entryEvents.get(1);
    assertThat(update.getRequestId()).isEqualTo("change-7");
    assertThat(update.getBefore().getFieldsOrThrow("ttl").getNumberValue()).isEqualTo(3600);
    assertThat(update.getAfter().getFieldsOrThrow("ttl").getNumberValue()).isEqualTo(60);
    assertThat(update.getAfter().getFieldsOrThrow("revision").getStringValue()).isEqualTo("2");
    assertThat(entryEvents.get(2).hasBefore()).isFalse();
    assertThat(entryEvents.get(0).getAfter().getFieldsOrThrow("delete_time").getStringValue())
        .isNotEmpty();
  }

  @Test
  void filtersByTimeRange() {
    // Given
    String actor = "clock-" + Fixtures.unique();
    String token = Api.adminToken(actor);
    Fixtures.site(token, Fixtures.trustDomain());
    Instant between = Instant.now();
    Fixtures.site(token, Fixtures.trustDomain());

    // When
    List<AuditEvent> before =
        listAll(
            token, ListAuditEventsRequest.newBuilder().setActor(actor).setEndTime(ts(between)), 10);
    List<AuditEvent> after =
        listAll(
            token,
            ListAuditEventsRequest.newBuilder().setActor(actor).setStartTime(ts(between)),
            10);

    // Then
    assertThat(before).hasSize(1);
    assertThat(after).hasSize(1);
    assertThat(before.get(0).getId()).isLessThan(after.get(0).getId());
  }

  @Test
  void rejectsBadFilters() {
    // Given
    String token = Api.adminToken("x");

    // When / Then: a target id without its type, an end before the start, a forged page token
    assertFails(
        () ->
            Api.audit(token)
                .listAuditEvents(ListAuditEventsRequest.newBuilder().setTargetId("abc").build()),
        Status.Code.INVALID_ARGUMENT,
        "MISSING_FIELD");
    assertFails(
        () ->
            Api.audit(token)
                .listAuditEvents(
                    ListAuditEventsRequest.newBuilder()
                        .setStartTime(ts(Instant.now()))
                        .setEndTime(ts(Instant.now().minusSeconds(60)))
                        .build()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_FIELD");
    assertFails(
        () ->
            Api.audit(token)
                .listAuditEvents(ListAuditEventsRequest.newBuilder().setPageToken("zzz").build()),
        Status.Code.INVALID_ARGUMENT,
        "INVALID_PAGE_TOKEN");
  }

  private static List<AuditEvent> listAll(
      String token, ListAuditEventsRequest.Builder request, int pageSize) {
    List<AuditEvent> all = new ArrayList<>();
    String next = "";
    do {
      ListAuditEventsResponse page =
          Api.audit(token)
              .listAuditEvents(request.setPageSize(pageSize).setPageToken(next).build());
      all.addAll(page.getAuditEventsList());
      next = page.getNextPageToken();
    } while (!next.isEmpty());
    return all;
  }

  private static Timestamp ts(Instant t) {
    return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
  }
}
