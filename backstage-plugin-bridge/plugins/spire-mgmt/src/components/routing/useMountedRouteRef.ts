import {
  AnyParams,
  RouteFunc,
  SubRouteRef,
  useRouteRef,
} from '@backstage/core-plugin-api';

/**
 * `useRouteRef` of one of the plugin's pages, or undefined when the app has not mounted the plugin's page
 * (an app may install the entity tab alone): links to the page are then left out rather than breaking the
 * tab. `useRouteRef` throws only after calling its hooks, so the order of hooks stays the same either way.
 */
export function useMountedRouteRef<Params extends AnyParams>(
  routeRef: SubRouteRef<Params>,
): RouteFunc<Params> | undefined {
  try {
    return useRouteRef(routeRef);
  } catch {
    return undefined;
  }
}
