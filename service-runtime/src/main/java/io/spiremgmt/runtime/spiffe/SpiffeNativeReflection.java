package io.spiremgmt.runtime.spiffe;

import io.quarkus.runtime.annotations.RegisterForReflection;
import io.spiffe.workloadapi.grpc.Workload;

/**
 * Native executables ({@code -Pnative}): java-spiffe is no Quarkus extension and its jar is not in
 * the Jandex index, so nothing registers the SPIFFE Workload API messages it exchanges over the
 * agent's Unix socket ({@code DefaultX509Source}). Protobuf's full runtime reaches their accessors
 * by reflection (the field accessor table behind descriptors, {@code toString}, map fields);
 * registered here, messages and builders. The Unix socket itself is grpc-netty-shaded's epoll
 * transport, whose JNI library {@code application.properties} includes as a resource.
 */
@RegisterForReflection(
    targets = {
      Workload.X509SVIDRequest.class,
      Workload.X509SVIDRequest.Builder.class,
      Workload.X509SVIDResponse.class,
      Workload.X509SVIDResponse.Builder.class,
      Workload.X509SVID.class,
      Workload.X509SVID.Builder.class,
      Workload.X509BundlesRequest.class,
      Workload.X509BundlesRequest.Builder.class,
      Workload.X509BundlesResponse.class,
      Workload.X509BundlesResponse.Builder.class
    })
public final class SpiffeNativeReflection {
  private SpiffeNativeReflection() {}
}
