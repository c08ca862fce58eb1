package dev.weft.kube;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.kube.translate.EndpointSliceInfo;
import dev.weft.model.IpPrefix;
import dev.weft.model.LoadbalancerMember;
import dev.weft.model.ObjectType;
import dev.weft.store.ConfigStore;
import dev.weft.store.memory.MemoryConfigStore;
import dev.weft.store.sqlite.SqliteConfigStore;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Scale harness for services, run on demand; figures are printed, never asserted:
 *
 * <pre>
 * mvn -B -o -q -pl weft-kube test -Dtest=ServiceScaleTest -Dweft.scale.services=10000 \
 *     [-Dweft.scale.endpoints=10] [-Dweft.scale.pods=1000] [-Dweft.scale.store=sqlite|memory]
 * </pre>
 *
 * <p>Starts the embedded cluster with Weft, runs the pods (every endpoint is a real pod's address,
 * so every member is resolved to its interface), stops Weft, creates the services and one
 * EndpointSlice each, and starts Weft again against the populated cluster and store: the time from
 * that start until every service's load balancer and members are in the store and every change is
 * processed. Output: {@code target/surefire-reports/dev.weft.kube.ServiceScaleTest-output.txt}.
 */
@EnabledIfSystemProperty(named = "weft.scale.services", matches = "\\d+")
class ServiceScaleTest {
  private static final int CLIENTS = 16;

  @Test
  void servicesConverge() throws Exception {
    int services = Integer.getInteger("weft.scale.services");
    int endpoints = Integer.getInteger("weft.scale.endpoints", 10);
    int podCount = Integer.getInteger("weft.scale.pods", 1000);
    boolean sqlite = !"memory".equals(System.getProperty("weft.scale.store", "sqlite"));
    Path dir = Files.createTempDirectory("weft-service-scale");
    ConfigStore kv =
        sqlite ? SqliteConfigStore.open(dir.resolve("weft.db")) : new MemoryConfigStore();
    try (Cluster cluster = new Cluster(ClusterConfig.defaults(), kv)) {
      long t0 = System.nanoTime();
      parallel(podCount, i -> cluster.createPod("default", "pod-" + i, Map.of(), false));
      List<String> ips = new ArrayList<>();
      while (true) {
        ips.clear();
        for (Pod p : cluster.client.pods().inNamespace("default").list().getItems()) {
          if (p.getStatus() != null && p.getStatus().getPodIP() != null) {
            ips.add(p.getStatus().getPodIP());
          }
        }
        if (ips.size() == podCount) {
          break;
        }
        Thread.sleep(200);
      }
      Processed pods = cluster.manager.awaitProcessed(Duration.ofMinutes(5));
      assertThat(pods.reached()).as(pods.describe()).isTrue();
      System.out.printf(
          "service scale: %d pods running with addresses in %.1f s%n",
          podCount, (System.nanoTime() - t0) / 1e9);

      cluster.stopManager();
      long t1 = System.nanoTime();
      IpPrefix range = IpPrefix.parse("10.96.0.0/12");
      parallel(
          services,
          i -> {
            String name = "svc-" + i;
            String vip = range.addressAt(BigInteger.valueOf(10L + i));
            cluster
                .client
                .resource(
                    new ServiceBuilder()
                        .withNewMetadata()
                        .withName(name)
                        .withNamespace("default")
                        .endMetadata()
                        .withNewSpec()
                        .withClusterIP(vip)
                        .withClusterIPs(vip)
                        .addNewPort()
                        .withName("http")
                        .withProtocol("TCP")
                        .withPort(80)
                        .endPort()
                        .endSpec()
                        .build())
                .create();
            EndpointSliceBuilder slice =
                new EndpointSliceBuilder()
                    .withNewMetadata()
                    .withName(name + "-a")
                    .withNamespace("default")
                    .addToLabels(EndpointSliceInfo.SERVICE_NAME, name)
                    .endMetadata()
                    .withAddressType("IPv4")
                    .withPorts(
                        new EndpointPortBuilder()
                            .withName("http")
                            .withProtocol("TCP")
                            .withPort(8080)
                            .build());
            for (int j = 0; j < endpoints; j++) {
              slice.addToEndpoints(
                  new EndpointBuilder()
                      .withAddresses(ips.get((i * endpoints + j) % ips.size()))
                      .withNewConditions()
                      .withReady(true)
                      .endConditions()
                      .build());
            }
            cluster.client.resource(slice.build()).create();
          });
      System.out.printf(
          "service scale: created %d services and %d EndpointSlices in %.1f s while Weft was"
              + " down%n",
          services, services, (System.nanoTime() - t1) / 1e9);

      long start = System.nanoTime();
      cluster.startManager();
      long started = System.nanoTime();
      var cache = cluster.store.cache();
      long expectedMembers = (long) services * Math.min(endpoints, podCount);
      while (cache.count(ObjectType.LOADBALANCER) < services
          || cache.count(ObjectType.LOADBALANCER_MEMBER) < expectedMembers) {
        Thread.sleep(20);
      }
      long stored = System.nanoTime();
      Processed done = cluster.manager.awaitProcessed(Duration.ofMinutes(10));
      long processed = System.nanoTime();
      long unresolved =
          cache.<LoadbalancerMember>list(ObjectType.LOADBALANCER_MEMBER).stream()
              .filter(s -> s.object().virtualMachineInterface() == null)
              .count();
      System.out.printf(
          "service scale: Weft started (informers synced, %d keys queued) in %.1f s%n",
          services + podCount, (started - start) / 1e9);
      System.out.printf(
          "service scale: every load balancer and member in the store %.1f s after Weft started"
              + " (%.0f services/s, %.0f members/s)%n",
          (stored - start) / 1e9,
          services / ((stored - start) / 1e9),
          expectedMembers / ((stored - start) / 1e9));
      System.out.printf(
          "service scale: every change processed (awaitProcessed: %s) %.1f s after Weft started%n",
          done.reached() ? "reached" : done.describe(), (processed - start) / 1e9);
      System.out.printf(
          "service scale: %s store at revision %d, %d keys; %d load balancers, %d listeners,"
              + " %d pools, %d members (%d without an interface), %d instance IPs; %d problems%n",
          sqlite ? "SQLite" : "memory",
          kv.revision(),
          kv.range("/").kvs().size(),
          cache.count(ObjectType.LOADBALANCER),
          cache.count(ObjectType.LOADBALANCER_LISTENER),
          cache.count(ObjectType.LOADBALANCER_POOL),
          cache.count(ObjectType.LOADBALANCER_MEMBER),
          unresolved,
          cache.count(ObjectType.INSTANCE_IP),
          cluster.manager.problems().size());
    }
  }

  private interface Create {
    void run(int i) throws Exception;
  }

  private static void parallel(int count, Create create) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
    try {
      List<Future<?>> work = new ArrayList<>();
      for (int i = 0; i < count; i++) {
        int n = i;
        work.add(
            pool.submit(
                () -> {
                  create.run(n);
                  return null;
                }));
      }
      for (Future<?> f : work) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
  }
}
