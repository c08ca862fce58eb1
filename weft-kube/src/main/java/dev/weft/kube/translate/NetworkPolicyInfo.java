package dev.weft.kube.translate;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What Weft reads of a Kubernetes {@code networking.k8s.io/v1} NetworkPolicy, as written: strings
 * where Kubernetes has strings (operators, protocols, CIDRs, policy types), so that whatever an API
 * server let through reaches {@link NetworkPolicyObjects}, which validates it into the model and
 * says what is wrong where.
 *
 * <p>Lists are never null: Kubernetes gives an absent list and an empty one the same meaning
 * everywhere in a NetworkPolicy (its code tests {@code len(x) == 0}), so they are read alike here.
 * Selectors, on the other hand, are null when absent: an absent {@code namespaceSelector} and an
 * empty one ({@code {}}) mean different things.
 *
 * @param podSelector {@code spec.podSelector}; null when absent, which Kubernetes reads as {@code
 *     {}} (the field is not optional, so its zero value selects every pod of the namespace)
 * @param policyTypes {@code spec.policyTypes} as written; empty when absent
 * @param ingress {@code spec.ingress}, in order
 * @param egress {@code spec.egress}, in order
 */
public record NetworkPolicyInfo(
    String namespace,
    String name,
    String uid,
    Selector podSelector,
    List<String> policyTypes,
    List<Rule> ingress,
    List<Rule> egress) {

  public NetworkPolicyInfo {
    policyTypes = copy(policyTypes);
    ingress = copy(ingress);
    egress = copy(egress);
  }

  /** Work-queue key of the policy: {@code NetworkPolicy/NS/NAME}. */
  public String key() {
    return NetworkPolicyObjects.key(namespace, name);
  }

  /**
   * A label selector as written.
   *
   * @param matchLabels never null
   * @param matchExpressions never null, in order
   */
  public record Selector(Map<String, String> matchLabels, List<Expression> matchExpressions) {
    public Selector {
      // Not Map.copyOf: a value written as null is bad input that translation reports.
      matchLabels =
          matchLabels == null
              ? Map.of()
              : Collections.unmodifiableMap(new LinkedHashMap<>(matchLabels));
      matchExpressions = copy(matchExpressions);
    }
  }

  /**
   * One {@code matchExpressions} entry as written.
   *
   * @param operator as written ({@code In}, {@code NotIn}, {@code Exists}, {@code DoesNotExist} are
   *     the valid ones); may be null
   * @param values never null
   */
  public record Expression(String key, String operator, List<String> values) {
    public Expression {
      values = copy(values);
    }
  }

  /**
   * One ingress rule ({@code from}) or egress rule ({@code to}).
   *
   * @param peers {@code from} or {@code to}; empty means every peer
   * @param ports empty means every port
   */
  public record Rule(List<Peer> peers, List<Port> ports) {
    public Rule {
      peers = copy(peers);
      ports = copy(ports);
    }
  }

  /** One peer as written; any combination of the three may reach us, valid or not. */
  public record Peer(Selector podSelector, Selector namespaceSelector, IpBlock ipBlock) {}

  /**
   * An {@code ipBlock} as written.
   *
   * @param cidr may be null or malformed
   * @param except never null
   */
  public record IpBlock(String cidr, List<String> except) {
    public IpBlock {
      except = copy(except);
    }
  }

  /**
   * A port entry as written.
   *
   * @param protocol null when absent (Kubernetes defaults it to TCP)
   * @param number the port when given as a number, else null
   * @param name the port when given as a string (a container port name), else null
   * @param endPort null when absent
   */
  public record Port(String protocol, Integer number, String name, Integer endPort) {}

  private static <T> List<T> copy(List<T> list) {
    // Not List.copyOf: a list from the API may hold a null entry, which translation reports.
    return list == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(list));
  }
}
