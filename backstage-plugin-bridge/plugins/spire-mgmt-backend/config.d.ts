import { HumanDuration } from '@backstage/types';

export interface Config {
  /**
   * The spire-mgmt backend plugin: the identity bridge (short-lived tokens for the signed-in user) and the
   * gRPC-Web route to Envoy.
   */
  spireMgmt: {
    /**
     * Where the plugin forwards the browser's gRPC-Web calls: Envoy's gRPC-Web listener, e.g.
     * `http://envoy.spire-mgmt.svc:8090`. Never sent to the browser.
     * @visibility backend
     */
    envoyUrl: string;
    /**
     * The `iss` of the tokens the plugin mints; the spire-mgmt backend's `MP_JWT_VERIFY_ISSUER` must equal it,
     * e.g. `https://backstage.example.com/api/spire-mgmt`.
     * @visibility backend
     */
    issuer: string;
    /**
     * The `aud` of the tokens; one of the backend's `mp.jwt.verify.audiences`. Default `spire-mgmt`.
     * @visibility backend
     */
    audience?: string;
    /**
     * How long a minted token lives: 1 to 60 minutes. Default 5 minutes.
     * @visibility backend
     */
    tokenLifetime?: HumanDuration | string;
    /**
     * How often the signing key changes: at least the token lifetime, at most 90 days. Default 1 day. The next
     * key is published one interval before it signs, so a backend that refreshes the JWKS at least once an
     * interval knows it in time.
     * @visibility backend
     */
    keyRotationInterval?: HumanDuration | string;
    /**
     * Which catalog groups hold which spire-mgmt role: role name (`Admin`, `Operator`, `Developer`, `Viewer`) to
     * group entity refs, e.g. `Developer: [group:default/payments]`. `SiteAgent` is for site agents only and is
     * refused here. A user in none of these groups gets a token without roles (every call is refused).
     * @visibility backend
     */
    roles?: {
      Admin?: string[];
      Operator?: string[];
      Developer?: string[];
      Viewer?: string[];
    };
    /**
     * Backstage notifications about entry requests: to the approvers when a request awaits approval, to the
     * requester when its request is applied, rejected, in conflict, failed or expired. Off unless `enabled` is
     * true; they need the notifications backend (`@backstage/plugin-notifications-backend`) in the same
     * Backstage, and the spire-mgmt backend trusting this plugin's keys (as for users).
     */
    notifications?: {
      /**
       * Follow the entry request stream and send the notifications. Default false.
       * @visibility backend
       */
      enabled?: boolean;
      /**
       * Who is told of a request awaiting approval: user or group entity refs (a ref without kind is a group).
       * Default: the groups mapped to `roles.Admin` and `roles.Operator` (the roles that approve). The requester
       * is never told of its own request.
       * @visibility backend
       */
      approvers?: string[];
      /**
       * The app path of the request pages the notifications link to (`<path>/<request id>`). Default
       * `/spire-mgmt/requests`.
       * @visibility backend
       */
      requestPagePath?: string;
    };
  };
}
