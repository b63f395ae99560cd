package io.spiremgmt.agent.sync;

import io.spiremgmt.agent.plan.PlanApplier;
import io.spiremgmt.agent.plan.SyncPlan;
import io.spiremgmt.agent.plan.SyncPlanner;
import io.spiremgmt.agent.spire.SpireEntry;
import io.spiremgmt.agent.spire.SpireEntryClient;
import io.spiremgmt.api.v1.ChangeKind;
import io.spiremgmt.api.v1.EntryChange;
import io.spiremgmt.api.v1.SiteEntry;
import io.spiremgmt.api.v1.SyncOutcome;
import io.spiremgmt.api.v1.SyncResult;
import io.spiremgmt.api.v1.SyncState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Keeps one SPIRE server equal to the central store for the entries this agent owns. A full
 * reconcile lists the whole server and plans against every desired entry; an incremental pass plans
 * only the polled changes against the agent's mirror of the server (what the last listing showed,
 * updated by the agent's own writes), so it costs one batch call per kind of change. Drift that
 * happens between full reconciles is repaired by the next one; a write that finds the mirror wrong
 * (the entry vanished, or exists already) is corrected on the spot by {@link PlanApplier}.
 */
public final class SiteSync implements SpireSync {
  private final SpireEntryClient spire;
  private final EntryTranslator translator;
  private final PlanApplier applier;
  private final boolean dryRun;
  private final Map<String, SpireEntry> owned = new HashMap<>();
  private final Map<String, SpireEntry> unmanaged = new LinkedHashMap<>();
  private boolean mirrorCurrent;

  public SiteSync(SpireEntryClient spire, EntryTranslator translator, boolean dryRun) {
    this.spire = spire;
    this.translator = translator;
    this.applier = new PlanApplier(spire, translator.idPrefix(), dryRun);
    this.dryRun = dryRun;
  }

  @Override
  public boolean mirrorCurrent() {
    return mirrorCurrent;
  }

  @Override
  public Reconcile reconcile(List<SiteEntry> desired, int partSize, Consumer<Part> sink) {
    mirrorCurrent = false;
    List<SpireEntry> actual = spire.listAll();
    owned.clear();
    unmanaged.clear();
    for (SpireEntry e : actual) {
      (translator.centralId(e.id()) != null ? owned : unmanaged).put(e.id(), e);
    }
    List<SpireEntry> wanted = desired.stream().map(s -> translator.toSpire(s.getEntry())).toList();
    Map<String, SpireEntry> wantedById = new HashMap<>();
    Map<String, Integer> position = new HashMap<>();
    for (int i = 0; i < wanted.size(); i++) {
      wantedById.put(wanted.get(i).id(), wanted.get(i));
      position.put(wanted.get(i).id(), i);
    }
    SyncPlan plan = SyncPlanner.plan(wanted, actual, translator.idPrefix());

    List<PlanApplier.Outcome> outcomes = new ArrayList<>();
    List<SyncResult> results = new ArrayList<>();
    boolean[] done = new boolean[desired.size()];
    int drift = 0;
    for (SyncPlan part : plan.parts(partSize)) {
      List<PlanApplier.Outcome> applied = applier.apply(part);
      outcomes.addAll(applied);
      remember(applied, wantedById);
      List<SyncResult> chunk = new ArrayList<>();
      for (PlanApplier.Outcome o : index(applied).values()) {
        Integer i = position.get(o.id());
        if (i == null || done[i]) {
          continue;
        }
        done[i] = true;
        SiteEntry site = desired.get(i);
        if (site.getSyncState() == SyncState.SYNC_STATE_SYNCED
            && o.kind() != PlanApplier.Kind.FAILED
            && o.kind() != PlanApplier.Kind.CONFLICT) {
          drift++;
        }
        chunk.add(result(site.getEntry().getId(), site.getRevision(), false, o));
      }
      emit(new Part(chunk, applied), results, sink);
    }
    // SPIRE already held these as desired: only a state that is not SYNCED yet needs a report.
    List<SyncResult> rest = new ArrayList<>();
    for (int i = 0; i < desired.size(); i++) {
      SiteEntry site = desired.get(i);
      if (!done[i] && site.getSyncState() != SyncState.SYNC_STATE_SYNCED) {
        rest.add(result(site.getEntry().getId(), site.getRevision(), false, null));
      }
    }
    emit(new Part(rest, List.of()), results, sink);
    Map<String, PlanApplier.Outcome> byId = index(outcomes);
    int removed = (int) plan.deletes().stream().filter(byId::containsKey).count();
    mirrorCurrent = !dryRun;
    return new Reconcile(results, plan.unmanaged(), drift, removed, outcomes);
  }

  private static void emit(Part part, List<SyncResult> results, Consumer<Part> sink) {
    if (!part.results().isEmpty() || !part.outcomes().isEmpty()) {
      results.addAll(part.results());
      sink.accept(part);
    }
  }

  @Override
  public Pass apply(List<EntryChange> changes) {
    if (!mirrorCurrent) {
      throw new IllegalStateException("a full reconcile must run first");
    }
    mirrorCurrent = false;
    List<SpireEntry> upserts = new ArrayList<>();
    List<String> deletes = new ArrayList<>();
    List<SpireEntry> actual = new ArrayList<>(unmanaged.values());
    for (EntryChange c : changes) {
      String id = translator.spireId(c.getEntry().getId());
      if (c.getKind() == ChangeKind.CHANGE_KIND_DELETE) {
        deletes.add(id);
      } else {
        upserts.add(translator.toSpire(c.getEntry()));
        SpireEntry current = owned.get(id);
        if (current != null) {
          actual.add(current);
        }
      }
    }
    SyncPlan planned = SyncPlanner.plan(upserts, actual, translator.idPrefix());
    // Every polled removal is sent, known to the mirror or not: NOT_FOUND counts as removed.
    SyncPlan plan =
        new SyncPlan(
            planned.creates(),
            planned.updates(),
            deletes,
            planned.unmanaged(),
            planned.conflicts());
    List<PlanApplier.Outcome> outcomes = applier.apply(plan);
    Map<String, SpireEntry> upsertsById = new HashMap<>();
    upserts.forEach(e -> upsertsById.put(e.id(), e));
    remember(outcomes, upsertsById);
    Map<String, PlanApplier.Outcome> byId = index(outcomes);
    List<SyncResult> results = new ArrayList<>();
    for (EntryChange c : changes) {
      String id = translator.spireId(c.getEntry().getId());
      results.add(
          result(
              c.getEntry().getId(),
              c.getRevision(),
              c.getKind() == ChangeKind.CHANGE_KIND_DELETE,
              byId.get(id)));
    }
    mirrorCurrent = true;
    return new Pass(results, outcomes);
  }

  /** FAILED results for changes that could not be applied at all (e.g. SPIRE is down). */
  public static List<SyncResult> failed(List<EntryChange> changes, String error) {
    return changes.stream()
        .map(
            c ->
                SyncResult.newBuilder()
                    .setEntryId(c.getEntry().getId())
                    .setRevision(c.getRevision())
                    .setOutcome(SyncOutcome.SYNC_OUTCOME_FAILED)
                    .setError(error)
                    .setReason("SPIRE_UNAVAILABLE")
                    .build())
        .toList();
  }

  private SyncResult result(
      String centralId, long revision, boolean delete, PlanApplier.Outcome o) {
    SyncResult.Builder r = SyncResult.newBuilder().setEntryId(centralId).setRevision(revision);
    if (o != null
        && (o.kind() == PlanApplier.Kind.FAILED || o.kind() == PlanApplier.Kind.CONFLICT)) {
      return r.setOutcome(SyncOutcome.SYNC_OUTCOME_FAILED)
          .setError(o.detail())
          .setReason(
              o.kind() == PlanApplier.Kind.CONFLICT
                  ? "CONFLICT"
                  : o.reason().isEmpty() ? "SPIRE_REJECTED" : o.reason())
          .build();
    }
    if (delete) {
      return r.setOutcome(SyncOutcome.SYNC_OUTCOME_DELETED).build();
    }
    return r.setOutcome(SyncOutcome.SYNC_OUTCOME_SYNCED)
        .setSpireEntryId(translator.spireId(centralId))
        .build();
  }

  private void remember(List<PlanApplier.Outcome> outcomes, Map<String, SpireEntry> byId) {
    if (dryRun) {
      return;
    }
    for (PlanApplier.Outcome o : outcomes) {
      switch (o.kind()) {
        case CREATED, UPDATED -> owned.put(o.id(), byId.get(o.id()));
        case DELETED -> owned.remove(o.id());
        case CONFLICT, FAILED -> {}
      }
    }
  }

  private static Map<String, PlanApplier.Outcome> index(List<PlanApplier.Outcome> outcomes) {
    Map<String, PlanApplier.Outcome> byId = new LinkedHashMap<>();
    outcomes.forEach(o -> byId.put(o.id(), o));
    return byId;
  }
}
