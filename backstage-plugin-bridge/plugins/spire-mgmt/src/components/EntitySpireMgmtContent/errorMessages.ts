import { getSpireMgmtErrorDetails } from '@spire-mgmt/backstage-plugin-spire-mgmt-common';

/** What went wrong, in words a developer can act on. */
export interface ErrorDescription {
  title: string;
  message: string;
}

/** What the page was doing, for the words of its errors; the defaults are the entity tab's. */
export interface ErrorContext {
  /** Which roles the action needs, said when it is refused (PERMISSION_DENIED). */
  needs?: string;
  /** What to check when the service refuses the input (INVALID_ARGUMENT). */
  check?: string;
}

const ENTITY_TAB: Required<ErrorContext> = {
  needs:
    "Viewing a component's identities needs the Viewer, Developer (for the component's namespaces), Operator or Admin role.",
  check: "Check the component's spire-mgmt annotations.",
};

/** Describes an error of a spire-mgmt call (mapped by the common package) for the page. */
export function describeError(
  error: unknown,
  context: ErrorContext = {},
): ErrorDescription {
  const { needs, check } = { ...ENTITY_TAB, ...context };
  const details = getSpireMgmtErrorDetails(error);
  const said = details?.message || (error as Error)?.message || String(error);
  if (!details) {
    return { title: 'Something went wrong', message: said };
  }
  switch (details.code) {
    case 'PERMISSION_DENIED':
      return {
        title: 'You have no spire-mgmt role that allows this',
        message: `spire-mgmt refused the call: ${said}. ${needs} Roles come from your Backstage groups: ask an administrator to map one of your groups to a role (spireMgmt.roles in the app configuration).`,
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
        message: `${said}${
          details.field ? ` (field ${details.field})` : ''
        }. ${check}`,
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
