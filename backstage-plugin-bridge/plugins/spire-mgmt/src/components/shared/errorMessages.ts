import { getSpireMgmtErrorDetails } from '@spire-mgmt/backstage-plugin-spire-mgmt-common';

/** What went wrong, in words a developer can act on. */
export interface ErrorDescription {
  title: string;
  message: string;
}

/** What the user was doing when a call failed: the words that depend on the screen. */
export interface ErrorContext {
  /** Which roles allow it, e.g. "Viewing a component's identities needs the Viewer ... role." */
  roles: string;
  /** What to check when the service refuses the request's input (INVALID_ARGUMENT). */
  inputHint: string;
}

/** The entity tab: reading the entries and requests of a component found through its annotations. */
export const COMPONENT_IDENTITIES: ErrorContext = {
  roles:
    "Viewing a component's identities needs the Viewer, Developer (for the component's namespaces), Operator or Admin role.",
  inputHint: "Check the component's spire-mgmt annotations.",
};

/** The SPIFFE management page's lists: entries, sites and their health. */
export const MANAGEMENT_LISTS: ErrorContext = {
  roles:
    'Listing entries and sites needs the Viewer, Developer (which sees the entries of its namespaces), Operator or Admin role.',
  inputHint: 'Check the filters.',
};

/** The approver queue: reading entry requests and deciding them. */
export const ENTRY_REQUESTS: ErrorContext = {
  roles:
    'Seeing requests needs a spire-mgmt role (a Developer sees its own and those of its namespaces); deciding them needs the Admin or Operator role.',
  inputHint: 'Reload the page.',
};

/** The audit history of an entry or a component. */
export const AUDIT_HISTORY: ErrorContext = {
  roles:
    'Reading the audit history needs the Viewer, Developer (for the entries of its namespaces), Operator or Admin role.',
  inputHint: 'Reload the page.',
};

/** Describes an error of a spire-mgmt call (mapped by the common package) for the page. */
export function describeError(
  error: unknown,
  context: ErrorContext,
): ErrorDescription {
  const details = getSpireMgmtErrorDetails(error);
  const said = details?.message || (error as Error)?.message || String(error);
  if (!details) {
    return { title: 'Something went wrong', message: said };
  }
  switch (details.code) {
    case 'PERMISSION_DENIED':
      return {
        title: 'You have no spire-mgmt role that allows this',
        message: `spire-mgmt refused the call: ${said}. ${context.roles} Roles come from your Backstage groups: ask an administrator to map one of your groups to a role (spireMgmt.roles in the app configuration).`,
      };
    case 'UNAUTHENTICATED':
      return {
        title: 'You are not signed in to spire-mgmt',
        message: `spire-mgmt did not accept your credentials: ${said}. Sign in to Backstage again; if it persists, ask an administrator to check the spire-mgmt backend plugin's token settings.`,
      };
    case 'UNAVAILABLE':
      return {
        title: 'spire-mgmt cannot be reached',
        message: `${said}. The spire-mgmt service or its gRPC-Web proxy is down or unreachable from Backstage; try again in a moment, and tell the operators if it persists.`,
      };
    case 'INVALID_ARGUMENT':
      return {
        title: 'spire-mgmt refused the request',
        message: `${said}${details.field ? ` (field ${details.field})` : ''}. ${
          context.inputHint
        }`,
      };
    default:
      return {
        title: `spire-mgmt failed (${details.code})`,
        message: `${said}${
          details.correlationId
            ? ` Give the operators the id ${details.correlationId} to find it in the logs.`
            : ''
        }`,
      };
  }
}
