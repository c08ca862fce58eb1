package dev.weft.kube.embedded;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * What the API server fills in, keeps and refuses in a Service's {@code spec.ports[].nodePort}, for
 * the stand-in that plays its part on the mock API server (which stores whatever it is given).
 *
 * <ul>
 *   <li>NodePort services, and LoadBalancer services unless {@code
 *       spec.allocateLoadBalancerNodePorts} is false, get a node port for every port entry without
 *       one: the one the entry (by name) had before, when a replace dropped it, as the API server
 *       patches it back in; else the one another entry of the same port number already has (the API
 *       server gives 53/TCP and 53/UDP one node port); else a free one from the {@link
 *       NodePortAllocator}.
 *   <li>A requested node port is kept when it lies in the range, no other service holds it or asked
 *       for it first, and no other entry of the service uses it on the same protocol; otherwise the
 *       API server would refuse the whole write, so the stand-in reports the problem and leaves the
 *       node ports as they are.
 *   <li>ClusterIP and ExternalName services have none: node ports the service held when its type
 *       changed are cleared, as the API server drops them; one it never held is a node port the API
 *       server would have refused, so it is reported and left.
 * </ul>
 *
 * <p>A service that changed to ClusterIP while the stand-ins were not running holds nothing after a
 * restart, so its leftover node ports are reported rather than cleared: from the spec alone they
 * cannot be told apart from ones the user set.
 *
 * @param nodePorts the node port of each entry of {@code spec.ports}, in order; null where none
 */
record ServiceNodePorts(List<Integer> nodePorts) {
  static final String NODE_PORT = "NodePort";
  static final String LOAD_BALANCER = "LoadBalancer";

  ServiceNodePorts {
    nodePorts = Collections.unmodifiableList(new ArrayList<>(nodePorts));
  }

  /** What other services' specs say about node ports, for the service being decided. */
  interface Claims {
    /** Whether another NodePort or LoadBalancer service's spec carries {@code port}. */
    boolean any(int port);

    /**
     * Another NodePort or LoadBalancer service created before this one whose spec carries {@code
     * port} ({@code namespace/name}), or null: it has the better right to a port both ask for.
     */
    String earlier(int port);
  }

  /** Whether the API server gives a service of this spec's type node ports at all. */
  static boolean hasNodePorts(ServiceSpec spec) {
    String type = spec == null ? null : spec.getType();
    return NODE_PORT.equals(type) || LOAD_BALANCER.equals(type);
  }

  /** Whether it also allocates them to ports without one. */
  static boolean allocates(ServiceSpec spec) {
    return hasNodePorts(spec)
        && !(LOAD_BALANCER.equals(spec.getType())
            && Boolean.FALSE.equals(spec.getAllocateLoadBalancerNodePorts()));
  }

  /** The node port of an entry; the API treats 0 as none. */
  static Integer nodePort(ServicePort port) {
    Integer np = port.getNodePort();
    return np == null || np == 0 ? null : np;
  }

  private static String protocol(ServicePort port) {
    // The API server defaults it before anything looks at it.
    return port.getProtocol() == null || port.getProtocol().isEmpty() ? "TCP" : port.getProtocol();
  }

  private static String where(int i) {
    return "spec.ports[" + i + "].nodePort";
  }

  /**
   * The node ports {@code service} should have, allocating from {@code allocator} what it lacks and
   * making the service hold exactly those; null when they are to be left as they are (the API
   * server would refuse the service; the reason goes to {@code problem}).
   */
  static ServiceNodePorts decide(
      Service service,
      NodePortAllocator allocator,
      Claims claims,
      Consumer<ServiceProblems.Problem> problem) {
    String owner = ServiceAddresses.owner(service);
    ServiceSpec spec = service.getSpec() == null ? new ServiceSpec() : service.getSpec();
    List<ServicePort> ports = spec.getPorts() == null ? List.of() : spec.getPorts();
    if (!hasNodePorts(spec)) {
      return without(spec, ports, owner, allocator, problem);
    }
    Integer[] out = new Integer[ports.size()];
    // Node ports the service asks for: kept, or the whole service refused.
    for (int i = 0; i < ports.size(); i++) {
      Integer np = nodePort(ports.get(i));
      if (np == null) {
        continue;
      }
      if (!allocator.range().contains(np)) {
        problem.accept(
            new ServiceProblems.Problem(
                "NodePortOutOfRange",
                where(i)
                    + ": "
                    + np
                    + " is outside the node-port range "
                    + allocator.range()
                    + "; node ports left as they are"));
        return null;
      }
      int other = usedOn(out, ports, np, protocol(ports.get(i)));
      if (other >= 0) {
        problem.accept(
            new ServiceProblems.Problem(
                "NodePortDuplicate",
                where(i)
                    + ": "
                    + np
                    + " is already used by spec.ports["
                    + other
                    + "] on protocol "
                    + protocol(ports.get(i))
                    + "; node ports left as they are"));
        return null;
      }
      String holder = allocator.owner(np);
      if (holder == null) {
        holder = claims.earlier(np);
      }
      if (holder != null && !holder.equals(owner)) {
        problem.accept(
            new ServiceProblems.Problem(
                "NodePortAlreadyAllocated",
                where(i)
                    + ": "
                    + np
                    + " is already allocated to service "
                    + holder
                    + "; node ports left as they are"));
        return null;
      }
      out[i] = np;
    }
    if (allocates(spec)) {
      // First what each entry had before (a replace that drops a node port keeps it) ...
      BitSet fresh = new BitSet();
      for (int i = 0; i < ports.size(); i++) {
        Integer had = out[i] == null ? allocator.heldFor(owner, ports.get(i).getName()) : null;
        if (had != null && usedOn(out, ports, had, protocol(ports.get(i))) < 0) {
          out[i] = had;
        }
      }
      // ... then one per port number, shared across protocols, from the free ones.
      for (int i = 0; i < ports.size(); i++) {
        if (out[i] != null) {
          continue;
        }
        String protocol = protocol(ports.get(i));
        Integer shared = sameNumber(out, ports, i);
        if (shared != null && usedOn(out, ports, shared, protocol) < 0) {
          out[i] = shared;
          continue;
        }
        int np =
            allocator.allocate(
                owner, ports.get(i).getName(), p -> contains(out, p) || claims.any(p));
        if (np == 0) {
          // Roll back what this pass allocated, as the API server does when it refuses.
          List<NodePortAllocator.Entry> kept = new ArrayList<>();
          for (int j = 0; j < ports.size(); j++) {
            if (out[j] != null && !fresh.get(j)) {
              kept.add(new NodePortAllocator.Entry(ports.get(j).getName(), out[j]));
            }
          }
          allocator.retain(owner, kept);
          problem.accept(
              new ServiceProblems.Problem(
                  "NodePortsExhausted",
                  "no free node port left in the range "
                      + allocator.range()
                      + " for spec.ports["
                      + i
                      + "]; node ports left as they are"));
          return null;
        }
        out[i] = np;
        fresh.set(i);
      }
    }
    List<NodePortAllocator.Entry> entries = new ArrayList<>();
    for (int i = 0; i < ports.size(); i++) {
      if (out[i] != null) {
        entries.add(new NodePortAllocator.Entry(ports.get(i).getName(), out[i]));
      }
    }
    allocator.retain(owner, entries);
    return new ServiceNodePorts(Arrays.asList(out));
  }

  /** A ClusterIP or ExternalName service: no node ports, none held. */
  private static ServiceNodePorts without(
      ServiceSpec spec,
      List<ServicePort> ports,
      String owner,
      NodePortAllocator allocator,
      Consumer<ServiceProblems.Problem> problem) {
    String type = spec.getType() == null || spec.getType().isEmpty() ? "ClusterIP" : spec.getType();
    ServiceNodePorts none = new ServiceNodePorts(Collections.nCopies(ports.size(), null));
    ServiceNodePorts result = none;
    for (int i = 0; i < ports.size(); i++) {
      Integer np = nodePort(ports.get(i));
      // One the service held is left over from its type change, and cleared.
      if (np != null && !allocator.holds(owner, np)) {
        problem.accept(
            new ServiceProblems.Problem(
                "NodePortNotAllowed",
                where(i)
                    + ": "
                    + np
                    + " may not be used when type is "
                    + type
                    + "; left as it is"));
        result = null;
        break;
      }
    }
    allocator.release(owner);
    return result;
  }

  /** The index of an entry already given {@code port} on {@code protocol}, or -1. */
  private static int usedOn(Integer[] out, List<ServicePort> ports, int port, String protocol) {
    for (int j = 0; j < out.length; j++) {
      if (out[j] != null && out[j] == port && protocol.equals(protocol(ports.get(j)))) {
        return j;
      }
    }
    return -1;
  }

  /** The node port already given to another entry with the same port number as entry {@code i}. */
  private static Integer sameNumber(Integer[] out, List<ServicePort> ports, int i) {
    for (int j = 0; j < out.length; j++) {
      if (j != i
          && out[j] != null
          && Objects.equals(ports.get(j).getPort(), ports.get(i).getPort())) {
        return out[j];
      }
    }
    return null;
  }

  private static boolean contains(Integer[] out, int port) {
    for (Integer np : out) {
      if (np != null && np == port) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code spec} already says all this. */
  boolean writtenIn(ServiceSpec spec) {
    List<ServicePort> ports = spec == null || spec.getPorts() == null ? List.of() : spec.getPorts();
    if (ports.size() != nodePorts.size()) {
      return false;
    }
    for (int i = 0; i < ports.size(); i++) {
      if (!Objects.equals(nodePort(ports.get(i)), nodePorts.get(i))) {
        return false;
      }
    }
    return true;
  }

  /**
   * {@code ports} with these node ports; {@code ports} must be the entries they were decided on.
   */
  List<ServicePort> applyTo(List<ServicePort> ports) {
    List<ServicePort> out = new ArrayList<>(ports.size());
    for (int i = 0; i < ports.size(); i++) {
      out.add(new ServicePortBuilder(ports.get(i)).withNodePort(nodePorts.get(i)).build());
    }
    return out;
  }
}
