package io.spiremgmt.agent.plan;

import io.spiremgmt.agent.spire.EntryField;
import io.spiremgmt.agent.spire.SpireEntry;
import io.spiremgmt.agent.spire.SpireEntryClient;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Carries out a {@link SyncPlan} on a SPIRE server: deletes first, then creates, then updates (each
 * update writes only its drifted fields), and reports one outcome per entry. A create refused as
 * "similar" is resolved instead of retried: an owned entry under another id is replaced, an
 * unmanaged one is a conflict. In dry-run mode nothing is sent to SPIRE and the outcomes say what
 * would have been done.
 */
public final class PlanApplier {
  private static final int NOT_FOUND = 5;
  private static final int ALREADY_EXISTS = 6;

  private final SpireEntryClient spire;
  private final String ownedPrefix;
  private final boolean dryRun;

  public PlanApplier(SpireEntryClient spire, String ownedPrefix, boolean dryRun) {
    this.spire = spire;
    this.ownedPrefix = ownedPrefix;
    this.dryRun = dryRun;
  }

  /** What happened to one SPIRE entry. */
  public enum Kind {
    CREATED,
    UPDATED,
    DELETED,
    /** A similar unmanaged entry blocks the create; nothing was changed. */
    CONFLICT,
    FAILED
  }

  /** The reason of a {@link Kind#FAILED} outcome whose entry SPIRE refuses as too large. */
  public static final String ENTRY_TOO_LARGE = "ENTRY_TOO_LARGE";

  /**
   * The outcome for one SPIRE entry id.
   *
   * @param id the SPIRE entry id
   * @param kind what happened (or, in dry-run mode, would happen)
   * @param detail the error or conflict, else empty
   * @param dryRun whether this only reports what would happen
   * @param reason for a {@link Kind#FAILED} outcome, {@link #ENTRY_TOO_LARGE} when SPIRE refuses
   *     the entry as larger than it reads in one request, else empty (SPIRE rejected it)
   */
  public record Outcome(String id, Kind kind, String detail, boolean dryRun, String reason) {
    public Outcome(String id, Kind kind, String detail, boolean dryRun) {
      this(id, kind, detail, dryRun, "");
    }

    /** A write of entry {@code id} that SPIRE answered with the failure {@code r}. */
    static Outcome failed(String id, SpireEntryClient.ItemResult r) {
      return new Outcome(id, Kind.FAILED, r.message(), false, r.tooLarge() ? ENTRY_TOO_LARGE : "");
    }
  }

  /** Applies {@code plan}; one outcome per entry it names. */
  public List<Outcome> apply(SyncPlan plan) {
    List<Outcome> outcomes = new ArrayList<>();
    plan.conflicts()
        .forEach(
            c ->
                outcomes.add(
                    new Outcome(
                        c.desired().id(),
                        Kind.CONFLICT,
                        "unmanaged SPIRE entry "
                            + c.blocking().id()
                            + " has the same SPIFFE ID, parent and selectors",
                        dryRun)));
    if (dryRun) {
      plan.deletes().forEach(id -> outcomes.add(new Outcome(id, Kind.DELETED, "", true)));
      plan.creates().forEach(e -> outcomes.add(new Outcome(e.id(), Kind.CREATED, "", true)));
      plan.updates()
          .forEach(u -> outcomes.add(new Outcome(u.desired().id(), Kind.UPDATED, "", true)));
      return outcomes;
    }
    List<SpireEntryClient.ItemResult> deleted =
        plan.deletes().isEmpty() ? List.of() : spire.delete(plan.deletes());
    for (int i = 0; i < deleted.size(); i++) {
      outcomes.add(deleteOutcome(plan.deletes().get(i), deleted.get(i)));
    }
    outcomes.addAll(create(plan.creates(), true));
    Map<Set<EntryField>, List<SpireEntry>> byFields = new LinkedHashMap<>();
    plan.updates()
        .forEach(
            u ->
                byFields
                    .computeIfAbsent(EnumSet.copyOf(u.changed()), k -> new ArrayList<>())
                    .add(u.desired()));
    for (Map.Entry<Set<EntryField>, List<SpireEntry>> group : byFields.entrySet()) {
      List<SpireEntry> entries = group.getValue();
      List<SpireEntryClient.ItemResult> results = spire.update(entries, group.getKey());
      List<SpireEntry> vanished = new ArrayList<>();
      for (int i = 0; i < results.size(); i++) {
        SpireEntryClient.ItemResult r = results.get(i);
        if (r.ok()) {
          outcomes.add(new Outcome(entries.get(i).id(), Kind.UPDATED, "", false));
        } else if (r.code() == NOT_FOUND) {
          vanished.add(entries.get(i));
        } else {
          outcomes.add(Outcome.failed(entries.get(i).id(), r));
        }
      }
      // Deleted behind our back between the listing and the update: create it whole.
      outcomes.addAll(create(vanished, true));
    }
    return outcomes;
  }

  private List<Outcome> create(List<SpireEntry> entries, boolean mayReplace) {
    if (entries.isEmpty()) {
      return List.of();
    }
    List<Outcome> outcomes = new ArrayList<>();
    List<SpireEntryClient.ItemResult> results = spire.create(entries);
    List<SpireEntry> retry = new ArrayList<>();
    for (int i = 0; i < results.size(); i++) {
      SpireEntry desired = entries.get(i);
      SpireEntryClient.ItemResult r = results.get(i);
      if (r.ok()) {
        outcomes.add(new Outcome(desired.id(), Kind.CREATED, "", false));
      } else if (r.code() == ALREADY_EXISTS
          && r.entry() != null
          && r.entry().id().equals(desired.id())) {
        // Created by an earlier attempt whose answer was lost: make sure it holds every desired
        // field.
        outcomes.addAll(updateAll(desired));
      } else if (r.code() == ALREADY_EXISTS
          && r.entry() != null
          && r.entry().id().startsWith(ownedPrefix)
          && mayReplace) {
        // Ours under another id (e.g. a superseded central entry): replace it once.
        SpireEntryClient.ItemResult removed = spire.delete(List.of(r.entry().id())).get(0);
        outcomes.add(deleteOutcome(r.entry().id(), removed));
        retry.add(desired);
      } else if (r.code() == ALREADY_EXISTS && r.entry() != null) {
        outcomes.add(
            new Outcome(
                desired.id(),
                Kind.CONFLICT,
                "unmanaged SPIRE entry "
                    + r.entry().id()
                    + " has the same SPIFFE ID, parent and selectors",
                false));
      } else {
        outcomes.add(Outcome.failed(desired.id(), r));
      }
    }
    outcomes.addAll(create(retry, false));
    return outcomes;
  }

  private List<Outcome> updateAll(SpireEntry desired) {
    SpireEntryClient.ItemResult r =
        spire.update(List.of(desired), EnumSet.allOf(EntryField.class)).get(0);
    return List.of(
        r.ok()
            ? new Outcome(desired.id(), Kind.CREATED, "", false)
            : Outcome.failed(desired.id(), r));
  }

  private Outcome deleteOutcome(String id, SpireEntryClient.ItemResult r) {
    // NOT_FOUND means it is gone already: the goal of the delete holds.
    return r.ok() || r.code() == NOT_FOUND
        ? new Outcome(id, Kind.DELETED, "", false)
        : Outcome.failed(id, r);
  }
}
