import { useEffect, useState } from 'react';
import { PreviewEntryRequestResponse } from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { SpireMgmtApi, SpireMgmtEntryRequestDraft } from '../../api';

/** The latest answer of PreviewEntryRequest, and whether it is about the draft as it is now. */
export interface PreviewState {
  /** The draft the answer is about. */
  draft?: SpireMgmtEntryRequestDraft;
  response?: PreviewEntryRequestResponse;
  /** The call failed (the service refused or could not be reached); not a problem of the draft. */
  error?: unknown;
  /** True when the answer is about the current draft (no check of a newer draft is outstanding). */
  current: boolean;
}

/**
 * Checks `draft` with PreviewEntryRequest `delayMs` after it last changed (one call per pause in typing). A
 * newer draft abandons the call of an older one, and an answer that arrives for an older draft is dropped,
 * so what is shown never goes back to an older state. `draft` must keep its identity until it changes
 * (useMemo). Undefined checks nothing.
 */
export function usePreview(
  api: SpireMgmtApi,
  draft: SpireMgmtEntryRequestDraft | undefined,
  delayMs: number,
): PreviewState {
  const [latest, setLatest] = useState<Omit<PreviewState, 'current'>>({});

  useEffect(() => {
    if (!draft) {
      return undefined;
    }
    const controller = new AbortController();
    const timer = setTimeout(() => {
      api.previewEntryRequest(draft, { signal: controller.signal }).then(
        response => {
          if (!controller.signal.aborted) {
            setLatest({ draft, response });
          }
        },
        error => {
          if (!controller.signal.aborted) {
            setLatest({ draft, error });
          }
        },
      );
    }, delayMs);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [api, draft, delayMs]);

  return { ...latest, current: latest.draft === draft };
}
