package io.spiremgmt.backend.request;

import java.time.Instant;

/**
 * One approval of an entry request.
 *
 * @param approverPerson the person it counts as
 * @param approver the principal, as it authenticated
 * @param comment the comment, may be empty
 * @param approvedAt when
 */
public record EntryRequestApproval(
    String approverPerson, String approver, String comment, Instant approvedAt) {}
