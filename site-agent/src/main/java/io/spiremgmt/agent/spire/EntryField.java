package io.spiremgmt.agent.spire;

/**
 * The fields of a SPIRE entry the agent manages: compared one by one to find drift, written by
 * masked updates.
 */
public enum EntryField {
  SPIFFE_ID,
  PARENT_ID,
  SELECTORS,
  X509_SVID_TTL,
  JWT_SVID_TTL,
  DNS_NAMES,
  FEDERATES_WITH,
  ADMIN,
  DOWNSTREAM,
  EXPIRES_AT,
  HINT,
  STORE_SVID
}
