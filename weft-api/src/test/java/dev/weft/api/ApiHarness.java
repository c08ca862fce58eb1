package dev.weft.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.model.ConfigObject;
import dev.weft.model.FqName;
import dev.weft.model.IpamLink;
import dev.weft.model.NetworkIpam;
import dev.weft.model.ObjectType;
import dev.weft.model.Owner;
import dev.weft.model.Project;
import dev.weft.model.Ref;
import dev.weft.model.Subnet;
import dev.weft.model.VirtualMachine;
import dev.weft.model.VirtualMachineInterface;
import dev.weft.model.VirtualNetwork;
import dev.weft.store.memory.MemoryConfigStore;
import dev.weft.store.objects.ObjectStore;
import dev.weft.store.objects.ObjectTxn;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A config API server on a free port over an in-memory store, an HTTP client to drive it, and
 * helpers that write objects straight into the store the way the kube-manager would.
 */
final class ApiHarness implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String CLUSTER = "k8s";
  static final FqName DEFAULT_PROJECT = FqName.of("default-domain", "k8s-default");

  final MemoryConfigStore kv = new MemoryConfigStore();
  final ObjectStore objects = new ObjectStore(kv);
  final ConfigApiServer server;
  final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();

  /** An HTTP answer with its body parsed as JSON. */
  record Response(int status, JsonNode body, HttpResponse<String> raw) {
    String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }

    String error() {
      return body.path("error").asText();
    }
  }

  ApiHarness() {
    this(null);
  }

  ApiHarness(KubernetesGateway gateway) {
    server = new ConfigApiServer(objects, gateway).start("127.0.0.1", 0);
  }

  String url(String path) {
    return server.url() + path;
  }

  Response get(String path) {
    return send(HttpRequest.newBuilder(URI.create(url(path))).GET());
  }

  Response post(String path, Object body) {
    return send(
        HttpRequest.newBuilder(URI.create(url(path)))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(text(body))));
  }

  Response put(String path, Object body) {
    return put(path, body, null);
  }

  Response put(String path, Object body, String ifMatch) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url(path)))
            .header("Content-Type", "application/json")
            .PUT(HttpRequest.BodyPublishers.ofString(text(body)));
    if (ifMatch != null) {
      b.header("If-Match", ifMatch);
    }
    return send(b);
  }

  Response delete(String path) {
    return send(HttpRequest.newBuilder(URI.create(url(path))).DELETE());
  }

  Response send(HttpRequest.Builder request) {
    try {
      HttpResponse<String> r =
          http.send(
              request.timeout(Duration.ofSeconds(30)).build(),
              HttpResponse.BodyHandlers.ofString());
      JsonNode body = r.body().isEmpty() ? JSON.nullNode() : JSON.readTree(r.body());
      return new Response(r.statusCode(), body, r);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static String text(Object body) {
    if (body instanceof String s) {
      return s;
    }
    try {
      return JSON.writeValueAsString(body);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Parses JSON written with single quotes, for readable test bodies. */
  @SuppressWarnings("unchecked")
  static <T extends JsonNode> T json(String singleQuoted) {
    try {
      return (T) JSON.readTree(singleQuoted.replace('\'', '"'));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---- objects written straight into the store, as the kube-manager would ----

  <T extends ConfigObject> T create(T object) {
    ObjectTxn txn = objects.begin().create(object);
    objects.commit(txn);
    return object;
  }

  Project project(FqName fq, Map<String, String> annotations) {
    return create(new Project(UUID.randomUUID(), fq, null, annotations));
  }

  /** Project {@code k8s-NS} owned by Kubernetes namespace NS. */
  Project namespaceProject(String namespace) {
    return project(
        FqName.of("default-domain", CLUSTER + "-" + namespace),
        Owner.namespace(CLUSTER, namespace, UUID.randomUUID().toString()).annotations());
  }

  NetworkIpam ipam(Project project, String name, List<String> subnets) {
    return create(
        new NetworkIpam(
            UUID.randomUUID(),
            project.fqName().child(name),
            Ref.to(project),
            Owner.cluster(CLUSTER).annotations(),
            subnets.stream().map(dev.weft.model.IpPrefix::parse).toList()));
  }

  /** A network Weft derived from a Kubernetes namespace. */
  VirtualNetwork derivedNetwork(Project project, String name, NetworkIpam ipam, String namespace) {
    return create(
        new VirtualNetwork(
            UUID.randomUUID(),
            project.fqName().child(name),
            Ref.to(project),
            Owner.namespace(CLUSTER, namespace, UUID.randomUUID().toString()).annotations(),
            List.of(new IpamLink(Ref.to(ipam), List.of())),
            List.of(),
            List.of()));
  }

  /** A pod's interface in {@code network}, owned by Kubernetes Pod NS/NAME. */
  VirtualMachineInterface podInterface(
      Project project, VirtualNetwork network, String namespace, String pod) {
    Owner owner = Owner.pod(CLUSTER, namespace, pod, UUID.randomUUID().toString());
    VirtualMachine vm =
        create(
            new VirtualMachine(
                UUID.randomUUID(),
                FqName.of(CLUSTER + "__" + namespace + "__" + pod),
                null,
                owner.annotations(),
                null));
    String mac =
        String.format(
            "02:00:00:%02x:%02x:%02x",
            (pod.hashCode() >> 16) & 0xff, (pod.hashCode() >> 8) & 0xff, pod.hashCode() & 0xff);
    return create(
        new VirtualMachineInterface(
            UUID.randomUUID(),
            project.fqName().child(CLUSTER + "__" + namespace + "__" + pod),
            Ref.to(project),
            owner.annotations(),
            Ref.to(vm),
            Ref.to(network),
            mac,
            List.of(),
            List.of()));
  }

  static Subnet subnet(String cidr) {
    return Subnet.of(cidr);
  }

  <T extends ConfigObject> T stored(ObjectType type, UUID uuid) {
    return objects.cache().<T>get(type, uuid).orElseThrow().object();
  }

  @Override
  public void close() {
    server.close();
    objects.close();
    kv.close();
  }
}
