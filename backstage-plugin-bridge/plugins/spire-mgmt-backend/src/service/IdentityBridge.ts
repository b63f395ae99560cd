import { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import {
  Entity,
  RELATION_MEMBER_OF,
  RELATION_OWNED_BY,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { getSpireMgmtAnnotations } from '@spire-mgmt/backstage-plugin-spire-mgmt-common';
import { GrantableRole, GRANTABLE_ROLES, SpireMgmtConfig } from './config';
import { KeyStore } from './KeyStore';

/**
 * The principal the plugin calls the spire-mgmt API as for itself (to follow the entry request stream for the
 * notifications). It is not a user entity ref, so no Backstage user can be it.
 */
export const PLUGIN_PRINCIPAL = 'plugin:spire-mgmt/notifications';

/** The role of the plugin's own calls: Viewer, the least role that sees every entry request. */
export const PLUGIN_ROLE: GrantableRole = 'Viewer';

/** What a minted token says about its user. */
export interface SpireMgmtIdentity {
  /** The user's entity ref: the token's `sub` and `upn` (the backend's principal name). */
  userEntityRef: string;
  /** The user's groups in the catalog (entity refs). */
  groups: string[];
  /** The spire-mgmt roles: the token's `groups` claim. */
  roles: GrantableRole[];
  /** For a Developer, the Kubernetes namespaces of the components its groups own; else empty. */
  namespaces: string[];
}

function lower(ref: string): string {
  return ref.toLocaleLowerCase('en-US');
}

/**
 * Turns a signed-in Backstage user into a spire-mgmt caller: roles from the configured group mapping, a
 * Developer's namespaces from the catalog, and a short-lived token carrying them.
 */
export class IdentityBridge {
  constructor(
    private readonly config: SpireMgmtConfig,
    private readonly keys: KeyStore,
    private readonly catalog: CatalogService,
    private readonly auth: AuthService,
    private readonly logger: LoggerService,
  ) {}

  /** The user's groups: the catalog's memberOf relations of the user entity (none when it has no entity). */
  private async groupsOf(userEntityRef: string): Promise<string[]> {
    const credentials = await this.auth.getOwnServiceCredentials();
    const user = await this.catalog.getEntityByRef(userEntityRef, {
      credentials,
    });
    if (!user) {
      return [];
    }
    const groups = new Set<string>();
    for (const relation of user.relations ?? []) {
      if (relation.type === RELATION_MEMBER_OF) {
        groups.add(lower(relation.targetRef));
      }
    }
    return [...groups].sort();
  }

  /** The namespaces annotated on the components the groups own; malformed annotations are logged and skipped. */
  private async namespacesOwnedBy(groups: string[]): Promise<string[]> {
    if (groups.length === 0) {
      return [];
    }
    const credentials = await this.auth.getOwnServiceCredentials();
    const { items } = await this.catalog.getEntities(
      {
        filter: {
          kind: 'component',
          [`relations.${RELATION_OWNED_BY}`]: groups,
        },
      },
      { credentials },
    );
    const namespaces = new Set<string>();
    for (const component of items as Entity[]) {
      try {
        getSpireMgmtAnnotations(component).kubernetesNamespaces.forEach(ns =>
          namespaces.add(ns),
        );
      } catch (e) {
        this.logger.warn(
          `Ignoring the namespaces of ${stringifyEntityRef(component)}: ${
            (e as Error).message
          }`,
        );
      }
    }
    return [...namespaces].sort();
  }

  /** Who the user is for spire-mgmt. */
  async identify(userEntityRef: string): Promise<SpireMgmtIdentity> {
    const ref = stringifyEntityRef(parseEntityRef(userEntityRef));
    const groups = await this.groupsOf(ref);
    const granted = new Set<GrantableRole>();
    for (const group of groups) {
      this.config.rolesByGroup.get(group)?.forEach(role => granted.add(role));
    }
    const roles = GRANTABLE_ROLES.filter(role => granted.has(role));
    const namespaces = roles.includes('Developer')
      ? await this.namespacesOwnedBy(groups)
      : [];
    return { userEntityRef: ref, groups, roles, namespaces };
  }

  /** A token for the plugin's own calls: {@link PLUGIN_PRINCIPAL} with the {@link PLUGIN_ROLE} role only. */
  async mintForPlugin(): Promise<string> {
    return this.keys.sign({
      iss: this.config.issuer,
      aud: this.config.audience,
      sub: PLUGIN_PRINCIPAL,
      upn: PLUGIN_PRINCIPAL,
      groups: [PLUGIN_ROLE],
    });
  }

  /** A token for the spire-mgmt backend that names the user, its roles and (for a Developer) its namespaces. */
  async mint(userEntityRef: string): Promise<string> {
    const identity = await this.identify(userEntityRef);
    return this.keys.sign({
      iss: this.config.issuer,
      aud: this.config.audience,
      sub: identity.userEntityRef,
      upn: identity.userEntityRef,
      groups: identity.roles,
      ...(identity.roles.includes('Developer')
        ? { namespaces: identity.namespaces }
        : {}),
    });
  }
}
