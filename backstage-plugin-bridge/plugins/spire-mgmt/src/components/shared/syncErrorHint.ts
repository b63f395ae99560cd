/**
 * What a developer can do about a site's sync error (the `last_error` the site agent reported), in words.
 */
export function syncErrorHint(lastError: string): string {
  if (lastError.includes('unmanaged SPIRE entry')) {
    return "The site's SPIRE server already holds an entry that spire-mgmt does not manage with the same SPIFFE ID, parent and selectors. Ask the site's operators to remove that entry, or request a change of this entry's selectors.";
  }
  if (/too large|ENTRY_TOO_LARGE/i.test(lastError)) {
    return "The entry is too large for the site's SPIRE server: request a change with fewer selectors, DNS names or federated trust domains.";
  }
  if (
    /^SPIRE server call failed: (UNAVAILABLE|DEADLINE_EXCEEDED)/.test(lastError)
  ) {
    return "The site's SPIRE server could not be reached. Nothing is wrong with the entry: the site agent retries on its own; tell the site's operators if it persists.";
  }
  if (/INVALID_ARGUMENT/.test(lastError)) {
    return "The site's SPIRE server refused the entry as invalid: check its parent ID, selectors, TTLs and DNS names, and request a change.";
  }
  if (/PERMISSION_DENIED|UNAUTHENTICATED/.test(lastError)) {
    return "The site agent is not allowed to write to the site's SPIRE server: tell the site's operators (the agent's credentials for SPIRE need fixing).";
  }
  return "The site agent retries automatically with backoff; if it keeps failing, tell the site's operators and give them this error.";
}
