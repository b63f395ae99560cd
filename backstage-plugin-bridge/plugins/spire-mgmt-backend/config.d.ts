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
  };
}
