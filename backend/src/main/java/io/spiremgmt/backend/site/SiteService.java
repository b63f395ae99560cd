package io.spiremgmt.backend.site;

import io.smallrye.mutiny.Uni;
import io.spiremgmt.backend.audit.AuditAction;
import io.spiremgmt.backend.audit.AuditRecord;
import io.spiremgmt.backend.audit.AuditRepository;
import io.spiremgmt.backend.auth.Access;
import io.spiremgmt.backend.auth.Caller;
import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import io.spiremgmt.backend.error.PgErrors;
import io.spiremgmt.backend.paging.Page;
import io.spiremgmt.backend.paging.PageToken;
import io.spiremgmt.backend.validation.UuidV7;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.hibernate.reactive.mutiny.Mutiny;

/** Site CRUD and health. Every mutation and its audit event share one transaction. */
@ApplicationScoped
public class SiteService {
  private static final String UNIQUE_NAME = "sites_name_uq";

  private final Mutiny.SessionFactory sessions;
  private final SiteRepository sites;
  private final AuditRepository audit;
  private final SiteAgents agents;

  SiteService(
      Mutiny.SessionFactory sessions,
      SiteRepository sites,
      AuditRepository audit,
      SiteAgents agents) {
    this.agents = agents;
    this.sessions = sessions;
    this.sites = sites;
    this.audit = audit;
  }

  /** A page of sites and the token of the next one (null on the last page). */

  /** Registers a site. */
  public Uni<SiteEntity> create(Caller caller, SiteSpec spec) {
    SiteValidator.validate(spec);
    Instant now = now();
    return sessions
        .withTransaction(
            (s, tx) ->
                rejectTakenName(s, spec.name(), null)
                    .chain(() -> checkParent(s, spec))
                    .chain(
                        () -> {
                          SiteEntity site = new SiteEntity(UuidV7.next(), spec, now);
                          return s.persist(site).chain(s::flush).replaceWith(site);
                        })
                    .call(
                        site ->
                            record(
                                s,
                                caller,
                                AuditAction.SITE_CREATE,
                                site,
                                null,
                                SiteMapper.json(site))))
        .onFailure(PgErrors.isUniqueViolation(UNIQUE_NAME))
        .transform(e -> nameTaken(spec.name()));
  }

  /** Reads a site. */
  public Uni<SiteEntity> get(UUID id) {
    return sessions.withSession(s -> sites.find(s, id).map(site -> found(site, id)));
  }

  /** Updates the masked fields of a site. */
  public Uni<SiteEntity> update(
      Caller caller, UUID id, long revision, SiteSpec patch, Set<SiteField> mask) {
    if (revision < 0) {
      throw ApiException.field(ErrorReason.INVALID_FIELD, "site.revision", "must not be negative");
    }
    Instant now = now();
    return sessions
        .withTransaction(
            (s, tx) ->
                sites
                    .lock(s, id)
                    .map(site -> found(site, id))
                    .chain(
                        site -> {
                          if (revision != 0 && site.getRevision() != revision) {
                            throw ApiException.field(
                                ErrorReason.STALE_REVISION,
                                "site.revision",
                                "site "
                                    + id
                                    + " is at revision "
                                    + site.getRevision()
                                    + ", not "
                                    + revision
                                    + "; read it again and retry");
                          }
                          SiteSpec current = site.spec();
                          SiteSpec merged = SiteField.merge(current, patch, mask);
                          SiteValidator.validate(merged);
                          if (id.equals(merged.parentSiteId())) {
                            throw ApiException.field(
                                ErrorReason.INVALID_SITE_PARENT,
                                "site.parent_site_id",
                                "a site cannot be its own parent");
                          }
                          String beforeJson = SiteMapper.json(site);
                          return rejectTakenName(s, merged.name(), id)
                              .chain(() -> checkParent(s, merged))
                              .chain(() -> checkReshape(s, id, current, merged))
                              .chain(
                                  () -> {
                                    site.apply(merged, now);
                                    site.bumpRevision();
                                    return s.flush();
                                  })
                              .chain(
                                  () ->
                                      record(
                                          s,
                                          caller,
                                          AuditAction.SITE_UPDATE,
                                          site,
                                          beforeJson,
                                          SiteMapper.json(site)))
                              .replaceWith(site);
                        }))
        .onFailure(PgErrors.isUniqueViolation(UNIQUE_NAME))
        .transform(e -> nameTaken(patch.name()));
  }

  /** Deletes a site that no entry and no downstream site uses. */
  public Uni<Void> delete(Caller caller, UUID id) {
    return sessions.withTransaction(
        (s, tx) ->
            sites
                .lock(s, id)
                .map(site -> found(site, id))
                .chain(
                    site ->
                        sites
                            .countEntries(s, id)
                            .chain(
                                entries -> {
                                  if (entries > 0) {
                                    throw ApiException.of(
                                        ErrorReason.SITE_IN_USE,
                                        "site '"
                                            + site.getName()
                                            + "' still has "
                                            + entries
                                            + " entries assigned or being removed; move or delete them first");
                                  }
                                  return sites.countChildren(s, id);
                                })
                            .chain(
                                children -> {
                                  if (children > 0) {
                                    throw ApiException.of(
                                        ErrorReason.SITE_IN_USE,
                                        "site '"
                                            + site.getName()
                                            + "' is the parent of "
                                            + children
                                            + " downstream sites");
                                  }
                                  String beforeJson = SiteMapper.json(site);
                                  return s.remove(site)
                                      .chain(s::flush)
                                      .chain(
                                          () ->
                                              record(
                                                  s,
                                                  caller,
                                                  AuditAction.SITE_DELETE,
                                                  site,
                                                  beforeJson,
                                                  null));
                                })));
  }

  /** A page of sites ordered by name. */
  public Uni<Page<SiteEntity>> list(
      SiteEntity.Status status, String trustDomain, int pageSize, String pageToken) {
    String fingerprint = listFilter(status, trustDomain);
    PageToken token = PageToken.decode(pageToken, fingerprint, 1);
    String after = token == null ? null : token.keys().get(0);
    if (after != null && !SiteValidator.isValidName(after)) {
      throw PageToken.invalidToken();
    }
    return sessions.withSession(
        s ->
            sites
                .page(s, status, trustDomain, after, Page.fetchSize(pageSize))
                .map(
                    rows -> Page.of(rows, pageSize, fingerprint, site -> List.of(site.getName()))));
  }

  /** The description of a ListSites filter that page tokens are bound to. */
  public static String listFilter(SiteEntity.Status status, String trustDomain) {
    return PageToken.describe(status, trustDomain);
  }

  /**
   * The site, its backlog and its agent, as {@code access} may see them. A caller scoped to
   * namespaces (a Developer) gets the backlog of its own namespaces' entries only, and its agent's
   * state without the raw SPIRE error (which may name other tenants' entries) and without the
   * unmanaged count (SPIRE entries of no namespace, listed for Operators and Viewers only).
   */
  public Uni<SiteHealthView> health(UUID id, Access access) {
    boolean scoped = access.kind() == Access.Kind.NAMESPACES;
    return sessions
        .withSession(
            s ->
                sites
                    .find(s, id)
                    .map(site -> found(site, id))
                    .chain(
                        site ->
                            (scoped
                                    ? sites.backlog(s, id, access.namespaces())
                                    : sites.backlog(s, id))
                                .map(b -> new SiteHealthView(site, b, null, null, scoped))))
        .chain(
            view ->
                agents
                    .status(id)
                    .map(
                        agent ->
                            new SiteHealthView(
                                view.site(),
                                view.backlog(),
                                scoped ? withoutSiteWideDetail(agent) : agent,
                                Instant.now(),
                                scoped)));
  }

  private static AgentStatus withoutSiteWideDetail(AgentStatus agent) {
    return agent == null
        ? null
        : new AgentStatus(
            agent.agentId(),
            agent.version(),
            agent.connected(),
            agent.lastPollAt(),
            agent.spireReachable(),
            "",
            0,
            agent.lastReconcileAt());
  }

  /**
   * A site with its backlog.
   *
   * @param site the site
   * @param backlog its counts per sync state
   * @param agent its agent's status, or null when no agent ever took its lease
   * @param readAt when this was read (the reference for the lag)
   * @param namespaceScoped whether the backlog counts only the caller's namespaces and the agent's
   *     site-wide detail (SPIRE error, unmanaged count) is withheld
   */
  public record SiteHealthView(
      SiteEntity site,
      SiteRepository.SiteBacklog backlog,
      AgentStatus agent,
      Instant readAt,
      boolean namespaceScoped) {}

  private Uni<Void> rejectTakenName(Mutiny.Session s, String name, UUID self) {
    return sites
        .findByName(s, name, self)
        .invoke(
            other -> {
              if (other != null) {
                throw nameTaken(name);
              }
            })
        .replaceWithVoid();
  }

  private Uni<Void> checkParent(Mutiny.Session s, SiteSpec spec) {
    if (spec.parentSiteId() == null) {
      return Uni.createFrom().voidItem();
    }
    return sites
        .lockShared(s, spec.parentSiteId())
        .invoke(
            parent -> {
              if (parent == null) {
                throw ApiException.field(
                    ErrorReason.SITE_NOT_FOUND,
                    "site.parent_site_id",
                    "no site has id " + spec.parentSiteId());
              }
              if (parent.getTier() != SiteEntity.Tier.UPSTREAM) {
                throw ApiException.field(
                    ErrorReason.INVALID_SITE_PARENT,
                    "site.parent_site_id",
                    "site '"
                        + parent.getName()
                        + "' is "
                        + parent.getTier()
                        + "; a downstream site nests under an"
                        + " UPSTREAM site");
              }
              if (!parent.getTrustDomain().equals(spec.trustDomain())) {
                throw ApiException.field(
                    ErrorReason.TRUST_DOMAIN_MISMATCH,
                    "site.parent_site_id",
                    "parent site '"
                        + parent.getName()
                        + "' serves trust domain '"
                        + parent.getTrustDomain()
                        + "'; nested SPIRE servers share one trust domain");
              }
            })
        .replaceWithVoid();
  }

  /** A trust domain change needs an empty site; an upstream with children stays upstream. */
  private Uni<Void> checkReshape(Mutiny.Session s, UUID id, SiteSpec current, SiteSpec merged) {
    Uni<Void> check = Uni.createFrom().voidItem();
    if (!current.trustDomain().equals(merged.trustDomain())) {
      check =
          check.chain(
              () ->
                  sites
                      .countEntries(s, id)
                      .invoke(
                          n -> {
                            if (n > 0) {
                              throw ApiException.field(
                                  ErrorReason.SITE_IN_USE,
                                  "site.trust_domain",
                                  "cannot change the trust domain while "
                                      + n
                                      + " entries are assigned");
                            }
                          })
                      .replaceWithVoid());
    }
    if (current.tier() == SiteEntity.Tier.UPSTREAM && merged.tier() != SiteEntity.Tier.UPSTREAM
        || !current.trustDomain().equals(merged.trustDomain())) {
      check =
          check.chain(
              () ->
                  sites
                      .countChildren(s, id)
                      .invoke(
                          n -> {
                            if (n > 0) {
                              throw ApiException.of(
                                  ErrorReason.SITE_IN_USE,
                                  "site has "
                                      + n
                                      + " downstream sites; it must stay UPSTREAM in its trust domain");
                            }
                          })
                      .replaceWithVoid());
    }
    return check;
  }

  private Uni<Void> record(
      Mutiny.Session s,
      Caller caller,
      AuditAction action,
      SiteEntity site,
      String beforeJson,
      String afterJson) {
    return audit.append(
        s,
        new AuditRecord(
            caller.name(),
            action,
            site.getId().toString(),
            UUID.randomUUID().toString(),
            beforeJson,
            afterJson));
  }

  private static SiteEntity found(SiteEntity site, UUID id) {
    if (site == null) {
      throw ApiException.of(ErrorReason.SITE_NOT_FOUND, "no site has id " + id);
    }
    return site;
  }

  private static ApiException nameTaken(String name) {
    return ApiException.field(
        ErrorReason.SITE_NAME_TAKEN, "site.name", "a site named '" + name + "' already exists");
  }

  private static Instant now() {
    return Instant.now().truncatedTo(ChronoUnit.MICROS);
  }
}
