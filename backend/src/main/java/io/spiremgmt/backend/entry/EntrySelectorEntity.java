package io.spiremgmt.backend.entry;

import jakarta.persistence.Column;
import jakarta.persistence.Entity;
import jakarta.persistence.Id;
import jakarta.persistence.IdClass;
import jakarta.persistence.Table;
import java.io.Serializable;
import java.util.Objects;
import java.util.UUID;

/**
 * A row of {@code workload_entry_selectors}: one selector of an entry, keyed by its canonical hash.
 */
@Entity
@Table(name = "workload_entry_selectors")
@IdClass(EntrySelectorEntity.Key.class)
public class EntrySelectorEntity {
  @Id
  @Column(name = "workload_entry_id")
  private UUID entryId;

  @Id
  @Column(name = "selector_hash")
  private String selectorHash;

  @Column(name = "type", nullable = false)
  private String type;

  @Column(name = "value", nullable = false)
  private String value;

  @Column(name = "position", nullable = false)
  private int position;

  protected EntrySelectorEntity() {}

  public EntrySelectorEntity(UUID entryId, SelectorValue selector, int position) {
    this.entryId = entryId;
    this.selectorHash = selector.hash();
    set(selector, position);
  }

  /** Replaces the spelling and position of the same canonical selector. */
  public void set(SelectorValue selector, int position) {
    this.type = selector.type();
    this.value = selector.value();
    this.position = position;
  }

  public UUID getEntryId() {
    return entryId;
  }

  public String getSelectorHash() {
    return selectorHash;
  }

  public int getPosition() {
    return position;
  }

  public SelectorValue toValue() {
    return new SelectorValue(type, value);
  }

  /** The composite primary key. */
  public static class Key implements Serializable {
    private UUID entryId;
    private String selectorHash;

    public Key() {}

    @Override
    public boolean equals(Object o) {
      return o instanceof Key k
          && Objects.equals(entryId, k.entryId)
          && Objects.equals(selectorHash, k.selectorHash);
    }

    @Override
    public int hashCode() {
      return Objects.hash(entryId, selectorHash);
    }
  }
}
