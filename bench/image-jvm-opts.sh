# Sourced by the benchmarks that start the packaged backend and agents: the JVM options their container
# images run with in the k8s/ manifests' memory limits (the image's run-java.sh defaults: heap at 80% of the
# limit, ParallelGC giving memory back, the full tiered JIT), so that a figure is production's, not the
# tests' (small heap, C1 only). BACKEND_JVM_OPTS and AGENT_JVM_OPTS override them.
image_gc="-XX:+UseParallelGC -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=20 -XX:GCTimeRatio=4 -XX:AdaptiveSizePolicyWeight=90 -XX:+ExitOnOutOfMemoryError"
backend_opts="${BACKEND_JVM_OPTS:--XX:MaxRAM=1g -XX:MaxRAMPercentage=80 $image_gc}"
# The agent's image swaps the collector for the serial one and runs C1 only (site-agent's Dockerfile.jvm),
# in the 512 MiB limit of k8s/base/site-agent.
agent_gc="-XX:+UseSerialGC -XX:MinHeapFreeRatio=10 -XX:MaxHeapFreeRatio=20 -XX:GCTimeRatio=4 -XX:AdaptiveSizePolicyWeight=90 -XX:+ExitOnOutOfMemoryError"
agent_opts="${AGENT_JVM_OPTS:--XX:MaxRAM=512m -XX:MaxRAMPercentage=80 $agent_gc -XX:TieredStopAtLevel=1}"
