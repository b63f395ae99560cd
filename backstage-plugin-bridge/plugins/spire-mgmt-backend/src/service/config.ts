import { Config, readDurationFromConfig } from '@backstage/config';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { durationToMilliseconds } from '@backstage/types';

/** The roles a user can get through this plugin (the backend's `SiteAgent` is for site agents only). */
export const GRANTABLE_ROLES = [
  'Admin',
  'Operator',
  'Developer',
  'Viewer',
] as const;

/** A role the plugin may put in a token's `groups` claim. */
export type GrantableRole = (typeof GRANTABLE_ROLES)[number];

/** The `spireMgmt` settings, checked. */
export interface SpireMgmtConfig {
  /** Envoy's gRPC-Web base URL, without a trailing slash. */
  envoyUrl: string;
  issuer: string;
  audience: string;
  tokenLifetimeMs: number;
  keyRotationIntervalMs: number;
  /** Group entity ref (normalized, e.g. `group:default/payments`) to the roles its members get. */
  rolesByGroup: Map<string, GrantableRole[]>;
  /** The Backstage notifications about entry requests; undefined when they are off (the default). */
  notifications?: SpireMgmtNotificationsConfig;
}

/** The `spireMgmt.notifications` settings, checked (present only when `enabled` is true). */
export interface SpireMgmtNotificationsConfig {
  /** Who hears of a request awaiting approval: user or group entity refs (normalized). */
  approvers: string[];
  /** The app path of the request pages, without a trailing slash; a request's page is `<path>/<id>`. */
  requestPagePath: string;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** Thrown at start-up for a missing or bad `spireMgmt` setting; the message names the key and what to set. */
export class SpireMgmtConfigError extends Error {
  constructor(key: string, problem: string) {
    super(
      `Invalid configuration: ${
        key ? `spireMgmt.${key}` : 'spireMgmt'
      } ${problem}`,
    );
    this.name = 'SpireMgmtConfigError';
  }
}

function requiredString(config: Config, key: string, example: string): string {
  const value = config.getOptional(key);
  if (value === undefined || value === null || value === '') {
    throw new SpireMgmtConfigError(key, `is missing: set it, e.g. ${example}`);
  }
  if (typeof value !== 'string') {
    throw new SpireMgmtConfigError(
      key,
      `must be a string, e.g. ${example} (got ${JSON.stringify(value)})`,
    );
  }
  return value.trim();
}

function duration(
  config: Config,
  key: string,
  defaultMs: number,
  example: string,
): number {
  if (!config.has(key)) {
    return defaultMs;
  }
  try {
    return durationToMilliseconds(readDurationFromConfig(config, { key }));
  } catch (e) {
    throw new SpireMgmtConfigError(
      key,
      `is not a duration (${(e as Error).message}); use e.g. ${example}`,
    );
  }
}

/** `ref` as a normalized entity ref of one of `kinds` (the first is assumed when it names none); else throws. */
function entityRefOf(
  ref: string,
  kinds: string[],
  key: string,
  example: string,
): string {
  try {
    const parsed = parseEntityRef(ref, {
      defaultKind: kinds[0],
      defaultNamespace: 'default',
    });
    if (!kinds.includes(parsed.kind.toLocaleLowerCase('en-US'))) {
      throw new Error(`kind ${parsed.kind}`);
    }
    return stringifyEntityRef(parsed).toLocaleLowerCase('en-US');
  } catch (e) {
    throw new SpireMgmtConfigError(
      key,
      `has '${ref}', which is not a ${kinds.join(' or ')} entity ref (${
        (e as Error).message
      }), e.g. ${example}`,
    );
  }
}

function readRoles(config: Config): Map<string, GrantableRole[]> {
  const rolesByGroup = new Map<string, GrantableRole[]>();
  const roles = config.getOptionalConfig('roles');
  if (!roles) {
    return rolesByGroup;
  }
  for (const role of roles.keys()) {
    if (role === 'SiteAgent') {
      throw new SpireMgmtConfigError(
        `roles.${role}`,
        'is not allowed: SiteAgent is for site agents (mTLS or API keys), never for Backstage users; remove it',
      );
    }
    if (!(GRANTABLE_ROLES as readonly string[]).includes(role)) {
      throw new SpireMgmtConfigError(
        `roles.${role}`,
        `names no role: use one of ${GRANTABLE_ROLES.join(', ')}`,
      );
    }
    let groups: string[];
    try {
      groups = roles.getStringArray(role);
    } catch {
      throw new SpireMgmtConfigError(
        `roles.${role}`,
        'must be a list of group entity refs, e.g. [group:default/platform-team]',
      );
    }
    for (const group of groups) {
      const ref = entityRefOf(
        group,
        ['group'],
        `roles.${role}`,
        'group:default/platform-team',
      );
      const list = rolesByGroup.get(ref) ?? [];
      list.push(role as GrantableRole);
      rolesByGroup.set(ref, list);
    }
  }
  return rolesByGroup;
}

/** The roles whose holders decide entry requests (the service's approvers). */
const APPROVER_ROLES: GrantableRole[] = ['Admin', 'Operator'];

/** The path of the request pages of the spire-mgmt frontend plugin, where it is mounted by default. */
const DEFAULT_REQUEST_PAGE_PATH = '/spire-mgmt/requests';

function readNotifications(
  config: Config,
  rolesByGroup: Map<string, GrantableRole[]>,
): SpireMgmtNotificationsConfig | undefined {
  const notifications = config.getOptionalConfig('notifications');
  if (!notifications) {
    return undefined;
  }
  let enabled: boolean | undefined;
  try {
    enabled = notifications.getOptionalBoolean('enabled');
  } catch {
    throw new SpireMgmtConfigError(
      'notifications.enabled',
      'must be true or false',
    );
  }
  if (!enabled) {
    return undefined;
  }
  let approvers: string[];
  if (notifications.has('approvers')) {
    let refs: string[];
    try {
      refs = notifications.getStringArray('approvers');
    } catch {
      throw new SpireMgmtConfigError(
        'notifications.approvers',
        'must be a list of user or group entity refs, e.g. [group:default/platform-team, user:default/jane]',
      );
    }
    approvers = refs.map(ref =>
      entityRefOf(
        ref,
        ['group', 'user'],
        'notifications.approvers',
        'group:default/platform-team or user:default/jane',
      ),
    );
  } else {
    approvers = [...rolesByGroup]
      .filter(([, roles]) => roles.some(r => APPROVER_ROLES.includes(r)))
      .map(([group]) => group);
  }
  if (approvers.length === 0) {
    throw new SpireMgmtConfigError(
      'notifications.approvers',
      'names nobody: list the approvers there, or map groups to roles.Admin or roles.Operator (their members approve)',
    );
  }
  const requestPagePath = notifications.has('requestPagePath')
    ? requiredString(
        config,
        'notifications.requestPagePath',
        DEFAULT_REQUEST_PAGE_PATH,
      )
    : DEFAULT_REQUEST_PAGE_PATH;
  // A path of this app only: '//host/...' would link to another site.
  if (!/^\/(?!\/)[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/.test(requestPagePath)) {
    throw new SpireMgmtConfigError(
      'notifications.requestPagePath',
      `'${requestPagePath}' must be a path of the app starting with '/', e.g. ${DEFAULT_REQUEST_PAGE_PATH}`,
    );
  }
  return {
    approvers: [...new Set(approvers)].sort(),
    requestPagePath: requestPagePath.replace(/\/+$/, ''),
  };
}

/**
 * Reads and checks the `spireMgmt` settings; throws a {@link SpireMgmtConfigError} naming the first bad key.
 */
export function readSpireMgmtConfig(root: Config): SpireMgmtConfig {
  const config = root.getOptionalConfig('spireMgmt');
  if (!config) {
    throw new SpireMgmtConfigError(
      '',
      'is missing: the plugin needs at least spireMgmt.envoyUrl and spireMgmt.issuer',
    );
  }
  const envoyUrl = requiredString(config, 'envoyUrl', 'http://envoy:8090');
  let url: URL;
  try {
    url = new URL(envoyUrl);
  } catch {
    throw new SpireMgmtConfigError(
      'envoyUrl',
      `'${envoyUrl}' is not a URL, e.g. http://envoy:8090`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SpireMgmtConfigError(
      'envoyUrl',
      `'${envoyUrl}' must be an http: or https: URL`,
    );
  }
  if (url.search || url.hash || url.username) {
    throw new SpireMgmtConfigError(
      'envoyUrl',
      `'${envoyUrl}' must have no query, fragment or credentials`,
    );
  }
  const issuer = requiredString(
    config,
    'issuer',
    'https://backstage.example.com/api/spire-mgmt',
  );
  const audience = config.has('audience')
    ? requiredString(config, 'audience', 'spire-mgmt')
    : 'spire-mgmt';
  const tokenLifetimeMs = duration(config, 'tokenLifetime', 5 * MINUTE, "'5m'");
  if (tokenLifetimeMs < MINUTE || tokenLifetimeMs > 60 * MINUTE) {
    throw new SpireMgmtConfigError(
      'tokenLifetime',
      `must be between 1 and 60 minutes (got ${tokenLifetimeMs / 1000} s)`,
    );
  }
  const keyRotationIntervalMs = duration(
    config,
    'keyRotationInterval',
    DAY,
    "'1d'",
  );
  if (
    keyRotationIntervalMs < tokenLifetimeMs ||
    keyRotationIntervalMs > 90 * DAY
  ) {
    throw new SpireMgmtConfigError(
      'keyRotationInterval',
      `must be at least the token lifetime (${
        tokenLifetimeMs / 1000
      } s) and at most 90 days (got ${keyRotationIntervalMs / 1000} s)`,
    );
  }
  const rolesByGroup = readRoles(config);
  return {
    envoyUrl: envoyUrl.replace(/\/+$/, ''),
    issuer,
    audience,
    tokenLifetimeMs,
    keyRotationIntervalMs,
    rolesByGroup,
    notifications: readNotifications(config, rolesByGroup),
  };
}
