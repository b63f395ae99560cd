package io.spiremgmt.backend.auth;

import io.grpc.BindableService;
import io.grpc.ServiceDescriptor;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Singleton;
import java.util.List;

/**
 * Refuses to start the service while the authorization table does not cover exactly the gRPC
 * methods it serves (see {@link AccessPolicy#problems}).
 */
@Singleton
public class AccessPolicyCheck {

  void onStart(@Observes StartupEvent event, @Any Instance<BindableService> services) {
    List<ServiceDescriptor> served =
        services.stream().map(s -> s.bindService().getServiceDescriptor()).toList();
    List<String> problems = AccessPolicy.problems(served);
    if (served.isEmpty() || !problems.isEmpty()) {
      throw new IllegalStateException(
          "refusing to start: the authorization table does not match the served API: "
              + (served.isEmpty() ? "no gRPC service found" : String.join("; ", problems)));
    }
  }
}
