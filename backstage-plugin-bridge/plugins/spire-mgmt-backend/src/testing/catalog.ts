import { Entity } from '@backstage/catalog-model';
import { SPIRE_MGMT_ANNOTATION_KUBERNETES_NAMESPACES } from '@spire-mgmt/backstage-plugin-spire-mgmt-common';

/** A user entity as the catalog serves it: `memberOf` in its spec and as computed relations. */
export function user(name: string, memberOf: string[]): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'User',
    metadata: { name, namespace: 'default' },
    spec: { memberOf },
    relations: memberOf.map(groupName => ({
      type: 'memberOf',
      targetRef: `group:default/${groupName}`,
    })),
  };
}

/** A group entity. */
export function group(name: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Group',
    metadata: { name, namespace: 'default' },
    spec: { type: 'team', children: [] },
  };
}

/** A component owned by a group, with the spire-mgmt namespaces annotation when `namespaces` is given. */
export function component(
  name: string,
  owner: string,
  namespaces?: string,
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      annotations:
        namespaces === undefined
          ? {}
          : { [SPIRE_MGMT_ANNOTATION_KUBERNETES_NAMESPACES]: namespaces },
    },
    spec: { type: 'service', lifecycle: 'production', owner },
    relations: [{ type: 'ownedBy', targetRef: `group:default/${owner}` }],
  };
}
