package io.spiremgmt.backend.apikey;

import io.smallrye.mutiny.Uni;
import io.spiremgmt.api.v1.ApiKey;
import io.spiremgmt.backend.audit.AuditAction;
import io.spiremgmt.backend.audit.AuditRecord;
import io.spiremgmt.backend.audit.AuditRepository;
import io.spiremgmt.backend.auth.Caller;
import io.spiremgmt.backend.error.ApiException;
import io.spiremgmt.backend.error.ErrorReason;
import io.spiremgmt.backend.error.PgErrors;
import io.spiremgmt.backend.paging.Page;
import io.spiremgmt.backend.paging.PageToken;
import io.spiremgmt.backend.site.SiteRepository;
import io.spiremgmt.backend.validation.UuidV7;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;
import org.hibernate.reactive.mutiny.Mutiny;

/**
 * Creates, lists and revokes API keys; each change is written with its audit event in one
 * transaction. The secret exists only in the create answer.
 */
@ApplicationScoped
public class ApiKeyService {
  private static final String UNIQUE_NAME = "api_keys_name_uq";

  private final Mutiny.SessionFactory sessions;
  private final ApiKeyRepository keys;
  private final SiteRepository sites;
  private final AuditRepository audit;

  ApiKeyService(
      Mutiny.SessionFactory sessions,
      ApiKeyRepository keys,
      SiteRepository sites,
      AuditRepository audit) {
    this.sessions = sessions;
    this.keys = keys;
    this.sites = sites;
    this.audit = audit;
  }

  /** A created key and its secret. */
  public record Created(ApiKeyView key, String secret) {}

  /** A page of keys and the token of the next one (null on the last page). */

  /** Creates a key; see {@code ApiKeyService.CreateApiKey}. */
  public Uni<Created> create(Caller caller, ApiKey request, String requestId) {
    if (caller.method() == Caller.AuthMethod.API_KEY) {
      // A leaked key must not be able to outlive its revocation through keys it minted.
      throw ApiException.of(
          ErrorReason.PERMISSION_DENIED,
          "API keys are created by a signed-in Admin (JWT or mTLS), not by another API key");
    }
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    ApiKeySpec spec = ApiKeyValidator.validate(request, now);
    UUID id = UuidV7.next();
    String secret = ApiKeySecrets.generate();
    ApiKeyView view =
        new ApiKeyView(
            id,
            spec.name(),
            spec.role().claim(),
            spec.namespaces(),
            spec.site(),
            spec.expiresAt().truncatedTo(ChronoUnit.MICROS),
            now,
            caller.name(),
            null,
            null);
    return sessions
        .withTransaction(
            (s, tx) ->
                requireSite(s, spec)
                    .chain(
                        () ->
                            keys.insert(
                                s, id, spec, ApiKeySecrets.hash(secret), now, caller.name()))
                    .chain(
                        () ->
                            audit.append(
                                s,
                                new AuditRecord(
                                    caller.name(),
                                    AuditAction.APIKEY_CREATE,
                                    id.toString(),
                                    requestId,
                                    null,
                                    ApiKeyMapper.json(view)))))
        .onFailure(PgErrors.isUniqueViolation(UNIQUE_NAME))
        .transform(
            e ->
                ApiException.field(
                    ErrorReason.API_KEY_NAME_TAKEN,
                    "api_key.name",
                    "another API key is named '" + spec.name() + "'"))
        .replaceWith(new Created(view, secret));
  }

  private Uni<Void> requireSite(Mutiny.Session s, ApiKeySpec spec) {
    if (spec.site() == null) {
      return Uni.createFrom().voidItem();
    }
    return sites
        .find(s, spec.site())
        .invoke(
            site -> {
              if (site == null) {
                throw ApiException.field(
                    ErrorReason.SITE_NOT_FOUND, "api_key.site_id", "no site has id " + spec.site());
              }
            })
        .replaceWithVoid();
  }

  /** Revokes a key (a revoked key stays revoked, unchanged). */
  public Uni<ApiKeyView> revoke(Caller caller, UUID id, String requestId) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    return sessions.withTransaction(
        (s, tx) ->
            keys.lock(s, id)
                .chain(
                    before -> {
                      if (before == null) {
                        throw ApiException.field(
                            ErrorReason.API_KEY_NOT_FOUND, "id", "no API key has id " + id);
                      }
                      if (before.revokedAt() != null) {
                        return Uni.createFrom().item(before);
                      }
                      ApiKeyView after =
                          new ApiKeyView(
                              before.id(),
                              before.name(),
                              before.role(),
                              before.namespaces(),
                              before.site(),
                              before.expiresAt(),
                              before.createdAt(),
                              before.createdBy(),
                              now,
                              caller.name());
                      return keys.revoke(s, id, now, caller.name())
                          .chain(
                              () ->
                                  audit.append(
                                      s,
                                      new AuditRecord(
                                          caller.name(),
                                          AuditAction.APIKEY_REVOKE,
                                          id.toString(),
                                          requestId,
                                          ApiKeyMapper.json(before),
                                          ApiKeyMapper.json(after))))
                          .replaceWith(after);
                    }));
  }

  /** A page of keys, by id. */
  public Uni<Page<ApiKeyView>> list(int pageSize, String pageToken) {
    String fingerprint = PageToken.describe("api-keys");
    PageToken token = PageToken.decode(pageToken, fingerprint, 1);
    UUID after = token == null ? null : token.uuidKey(0);
    return sessions.withSession(
        s ->
            keys.page(s, after, Page.fetchSize(pageSize))
                .map(
                    rows -> Page.of(rows, pageSize, fingerprint, k -> List.of(k.id().toString()))));
  }
}
