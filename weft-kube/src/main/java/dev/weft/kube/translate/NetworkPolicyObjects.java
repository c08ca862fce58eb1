package dev.weft.kube.translate;

import dev.weft.kube.ClusterConfig;
import dev.weft.model.FirewallPeer;
import dev.weft.model.FirewallPolicy;
import dev.weft.model.FirewallPort;
import dev.weft.model.FirewallRule;
import dev.weft.model.FqName;
import dev.weft.model.IpBlock;
import dev.weft.model.IpPrefix;
import dev.weft.model.LabelRequirement;
import dev.weft.model.LabelSelector;
import dev.weft.model.Names;
import dev.weft.model.Owner;
import dev.weft.model.Protocol;
import dev.weft.model.Ref;
import inet.ipaddr.AddressStringException;
import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Translates one Kubernetes NetworkPolicy into its firewall policy, with the semantics of {@code
 * networking.k8s.io/v1} exactly: the pod selector, the policy types (inferred when absent as the
 * API server's defaulting does), every ingress and egress rule in order, peers and ports as
 * written. Pure: it resolves no selector, so a label change never rewrites a policy.
 *
 * <p>What the API server's validation would refuse (a malformed CIDR, an unknown selector operator,
 * an {@code endPort} on a named port, ...) refuses the whole policy with one message listing every
 * problem with its field path, as {@code kubectl} would show them: the caller keeps what the policy
 * had. What validation would refuse but has one sensible reading, an {@code except} that is not
 * inside its {@code cidr}, is carried out as that reading (the set {@code cidr} less {@code
 * except}) with a warning. Rules of a direction the policy types leave out have no effect, as in
 * Kubernetes, and are dropped with a warning.
 */
public final class NetworkPolicyObjects {
  /** The Kubernetes kind, as Events and owner annotations name it. */
  public static final String KIND = "NetworkPolicy";

  /** Event reason: the policy is refused; it keeps what it had. */
  public static final String INVALID = "InvalidNetworkPolicy";

  /** Event reason: an {@code except} is not a strict subset of its {@code cidr}. */
  public static final String EXCEPT_OUTSIDE_CIDR = "IPBlockExceptOutsideCIDR";

  /** Event reason: rules of a direction that {@code policyTypes} leaves out, which do nothing. */
  public static final String RULES_IGNORED = "RulesIgnoredByPolicyTypes";

  /** Event reason: a named port no pod of the namespaces in scope declares. */
  public static final String NAMED_PORT_NOT_DECLARED = "NamedPortNotDeclared";

  private static final String INGRESS = "Ingress";
  private static final String EGRESS = "Egress";

  // Kubernetes' label syntax (k8s.io/apimachinery/pkg/util/validation): a qualified name is an
  // optional DNS-subdomain prefix and a name of at most 63 characters; a value is empty or such a
  // name.
  private static final Pattern LABEL_NAME =
      Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");
  private static final Pattern DNS_SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  private static final Pattern PORT_NAME = Pattern.compile("[-a-z0-9]+");
  // What Go's CIDR parser takes: dotted-quad IPv4 or colon-hex IPv6 (no wildcards, ranges, masks
  // or inet_aton short forms, which the address library would otherwise accept).
  private static final Pattern CIDR_TEXT =
      Pattern.compile(
          "[0-9]{1,3}(\\.[0-9]{1,3}){3}/[0-9]{1,2}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*/[0-9]{1,3}");

  private NetworkPolicyObjects() {}

  /** Work-queue key of a NetworkPolicy: {@code NetworkPolicy/NS/NAME}. */
  public static String key(String namespace, String name) {
    return KIND + "/" + namespace + "/" + name;
  }

  /**
   * The firewall policy of NetworkPolicy {@code name}: {@code [default-domain, C-ns, C__ns__name]}.
   */
  public static FqName fqName(String cluster, String namespace, String name) {
    return FqName.of(
        Names.DEFAULT_DOMAIN,
        Names.project(cluster, namespace),
        cluster + "__" + namespace + "__" + name);
  }

  /**
   * What a NetworkPolicy translates to: its firewall policy, and what a person should be told about
   * it while it takes effect.
   */
  public record Translation(FirewallPolicy policy, List<InputWarning> warnings) {
    public Translation {
      warnings = List.copyOf(warnings);
    }
  }

  /**
   * The firewall policy of {@code np}: UUID = the NetworkPolicy's UID, a child of {@code project}
   * (its namespace's), owned by {@code NetworkPolicy/NS/NAME}.
   *
   * @throws InputException ({@value #INVALID}) when the API server's validation would refuse the
   *     policy; the message lists every problem with its field path
   */
  public static Translation desired(ClusterConfig config, NetworkPolicyInfo np, Ref project) {
    Check check = new Check(where(np));
    LabelSelector podSelector =
        np.podSelector() == null
            ? LabelSelector.ALL
            : selector(np.podSelector(), "spec.podSelector", check);
    Directions directions = directions(np, check);
    List<FirewallRule> ingress = rules(np.ingress(), "spec.ingress", "from", check);
    List<FirewallRule> egress = rules(np.egress(), "spec.egress", "to", check);
    if (!check.errors.isEmpty()) {
      throw new InputException(
          INVALID,
          where(np)
              + " is refused (an earlier version, if any, stays in effect): "
              + String.join("; ", check.errors)
              + (check.errors.size() == 1 ? "" : " (" + check.errors.size() + " problems)"));
    }
    if (!directions.ingress() && !ingress.isEmpty()) {
      check.warn(RULES_IGNORED, ignored(np, "spec.ingress", ingress.size(), INGRESS));
      ingress = List.of();
    }
    if (!directions.egress() && !egress.isEmpty()) {
      check.warn(RULES_IGNORED, ignored(np, "spec.egress", egress.size(), EGRESS));
      egress = List.of();
    }
    String c = config.name();
    FqName fq;
    try {
      fq = fqName(c, np.namespace(), np.name());
    } catch (IllegalArgumentException e) {
      // Names of up to 253 characters are valid in Kubernetes; prefixed, one may not fit.
      throw new InputException(
          INVALID,
          where(np) + " is refused: its firewall policy cannot be named: " + e.getMessage());
    }
    FirewallPolicy policy =
        new FirewallPolicy(
            Uuids.fromUid(np.uid()),
            fq,
            project,
            new Owner(c, KIND, np.namespace(), np.name(), np.uid()).annotations(),
            np.namespace(),
            podSelector,
            directions.ingress(),
            directions.egress(),
            ingress,
            egress);
    return new Translation(policy, check.warnings);
  }

  /** How the object is named in messages: {@code networkpolicy "NS/NAME"}, as kubectl does. */
  public static String where(NetworkPolicyInfo np) {
    return "networkpolicy \"" + np.namespace() + "/" + np.name() + "\"";
  }

  private static String ignored(NetworkPolicyInfo np, String field, int rules, String direction) {
    return field
        + " has "
        + rules
        + (rules == 1 ? " rule" : " rules")
        + " but spec.policyTypes "
        + np.policyTypes()
        + " does not include "
        + direction
        + ", so "
        + (rules == 1 ? "it has" : "they have")
        + " no effect; add "
        + direction
        + " to spec.policyTypes for "
        + (rules == 1 ? "it" : "them")
        + " to apply";
  }

  /** Which directions a policy governs. */
  record Directions(boolean ingress, boolean egress) {}

  /**
   * The directions a policy governs: {@code spec.policyTypes} as written or, when it is empty, as
   * the API server defaults it (kubernetes/kubernetes {@code pkg/apis/networking/v1/defaults.go},
   * {@code SetDefaults_NetworkPolicySpec}): Ingress always, and Egress when {@code len(spec.egress)
   * != 0}. So a policy with {@code egress: []}, like one without {@code egress}, governs ingress
   * only.
   */
  static Directions directions(NetworkPolicyInfo np, Check check) {
    List<String> types = np.policyTypes();
    if (types.isEmpty()) {
      return new Directions(true, !np.egress().isEmpty());
    }
    if (types.size() > 2) {
      check.error("spec.policyTypes: must have at most 2 items, found " + types);
    }
    boolean ingress = false;
    boolean egress = false;
    for (int i = 0; i < types.size(); i++) {
      String t = types.get(i);
      if (INGRESS.equals(t)) {
        ingress = true;
      } else if (EGRESS.equals(t)) {
        egress = true;
      } else {
        check.error(
            "spec.policyTypes["
                + i
                + "]: unsupported value "
                + quote(t)
                + ": supported values: \"Ingress\", \"Egress\"");
      }
    }
    return new Directions(ingress, egress);
  }

  private static List<FirewallRule> rules(
      List<NetworkPolicyInfo.Rule> rules, String field, String peersField, Check check) {
    List<FirewallRule> out = new ArrayList<>();
    for (int i = 0; i < rules.size(); i++) {
      NetworkPolicyInfo.Rule r = rules.get(i);
      String path = field + "[" + i + "]";
      if (r == null) {
        // An entry written as null decodes to an empty rule in Kubernetes (Go zero value).
        out.add(new FirewallRule(List.of(), List.of()));
        continue;
      }
      List<FirewallPeer> peers = new ArrayList<>();
      for (int j = 0; j < r.peers().size(); j++) {
        FirewallPeer p = peer(r.peers().get(j), path + "." + peersField + "[" + j + "]", check);
        if (p != null) {
          peers.add(p);
        }
      }
      List<FirewallPort> ports = new ArrayList<>();
      for (int j = 0; j < r.ports().size(); j++) {
        FirewallPort p = port(r.ports().get(j), path + ".ports[" + j + "]", check);
        if (p != null) {
          ports.add(p);
        }
      }
      out.add(new FirewallRule(peers, ports));
    }
    return out;
  }

  private static FirewallPeer peer(NetworkPolicyInfo.Peer p, String path, Check check) {
    if (p == null
        || (p.podSelector() == null && p.namespaceSelector() == null && p.ipBlock() == null)) {
      check.error(path + ": must specify a peer: podSelector and/or namespaceSelector, or ipBlock");
      return null;
    }
    if (p.ipBlock() != null && (p.podSelector() != null || p.namespaceSelector() != null)) {
      check.error(
          path
              + ": may not specify both ipBlock and podSelector/namespaceSelector; write them as"
              + " separate peers");
      return null;
    }
    if (p.ipBlock() != null) {
      IpBlock block = ipBlock(p.ipBlock(), path + ".ipBlock", check);
      return block == null ? null : FirewallPeer.addresses(block);
    }
    int before = check.errors.size();
    LabelSelector pods =
        p.podSelector() == null ? null : selector(p.podSelector(), path + ".podSelector", check);
    LabelSelector namespaces =
        p.namespaceSelector() == null
            ? null
            : selector(p.namespaceSelector(), path + ".namespaceSelector", check);
    if (check.errors.size() != before) {
      return null;
    }
    return FirewallPeer.pods(pods, namespaces);
  }

  /**
   * An ipBlock. Its CIDR may have host bits set ({@code 10.0.0.1/24}): the API server accepts that
   * and means the network ({@code 10.0.0.0/24}). An except that is not a strict subset of the cidr
   * is refused by the API server; when one gets through it is read as the set difference says: the
   * part of it inside the cidr is excluded (all of it when the except covers the cidr, nothing when
   * they are disjoint), with a warning.
   */
  private static IpBlock ipBlock(NetworkPolicyInfo.IpBlock b, String path, Check check) {
    IpPrefix cidr = cidr(b.cidr(), path + ".cidr", check);
    List<IpPrefix> except = new ArrayList<>();
    for (int i = 0; i < b.except().size(); i++) {
      String exceptPath = path + ".except[" + i + "]";
      IpPrefix e = cidr(b.except().get(i), exceptPath, check);
      if (e == null || cidr == null) {
        continue;
      }
      boolean strictSubset =
          e.family() == cidr.family()
              && cidr.block().contains(e.block())
              && e.length() > cidr.length();
      if (strictSubset) {
        except.add(e);
      } else if (e.family() == cidr.family() && e.block().contains(cidr.block())) {
        check.warn(
            EXCEPT_OUTSIDE_CIDR,
            exceptPath
                + ": "
                + e
                + " covers all of cidr "
                + cidr
                + ", so the peer matches no address (the API server requires an except to be a"
                + " strict subset of cidr)");
        except.add(cidr);
      } else {
        check.warn(
            EXCEPT_OUTSIDE_CIDR,
            exceptPath
                + ": "
                + e
                + " is not inside cidr "
                + cidr
                + ", so it excludes nothing (the API server requires an except to be a strict"
                + " subset of cidr)");
      }
    }
    return cidr == null ? null : new IpBlock(cidr, except.stream().distinct().toList());
  }

  /** A CIDR as Kubernetes parses it (Go's ParseCIDR): host bits allowed, the network meant. */
  static IpPrefix cidr(String text, String path, Check check) {
    if (text == null || text.isEmpty()) {
      check.error(path + ": required, such as 10.0.0.0/8 or fd00::/64");
      return null;
    }
    if (!CIDR_TEXT.matcher(text).matches()) {
      check.error(path + ": " + quote(text) + " is not a CIDR, such as 10.0.0.0/8 or fd00::/64");
      return null;
    }
    try {
      IPAddress address = new IPAddressString(text).toAddress();
      Integer length = address.getNetworkPrefixLength();
      if (length == null) {
        throw new AddressStringException(text);
      }
      return IpPrefix.parse(address.toPrefixBlock().toCanonicalString());
    } catch (AddressStringException | IllegalArgumentException e) {
      check.error(path + ": " + quote(text) + " is not a CIDR, such as 10.0.0.0/8 or fd00::/64");
      return null;
    }
  }

  /**
   * A port entry, with the API server's defaulting (protocol TCP) and validation (port 1-65535 or a
   * port name; endPort only with a numeric port, not below it).
   */
  private static FirewallPort port(NetworkPolicyInfo.Port p, String path, Check check) {
    if (p == null) {
      // Go zero value: no protocol (TCP), no port: every TCP port.
      return new FirewallPort(Protocol.TCP, null, null, null);
    }
    int before = check.errors.size();
    Protocol protocol = protocol(p.protocol(), path + ".protocol", check);
    if (p.number() != null) {
      portNumber(p.number(), path + ".port", check);
      if (p.endPort() != null) {
        portNumber(p.endPort(), path + ".endPort", check);
        if (p.endPort() < p.number()) {
          check.error(
              path
                  + ".endPort: "
                  + p.endPort()
                  + " must be greater than or equal to port "
                  + p.number());
        }
      }
    } else if (p.name() != null) {
      if (p.endPort() != null) {
        check.error(
            path
                + ".endPort: "
                + p.endPort()
                + " may not be specified when port is a name ("
                + quote(p.name())
                + "); a range needs numeric ports");
      }
      String problem = portNameProblem(p.name());
      if (problem != null) {
        check.error(path + ".port: " + quote(p.name()) + " is not a valid port name: " + problem);
      }
    } else if (p.endPort() != null) {
      check.error(
          path + ".endPort: " + p.endPort() + " may not be specified when port is not specified");
    }
    if (check.errors.size() != before) {
      return null;
    }
    return new FirewallPort(
        protocol, p.number(), p.name(), p.number() == null ? null : p.endPort());
  }

  private static Protocol protocol(String text, String path, Check check) {
    if (text == null) {
      return Protocol.TCP;
    }
    return switch (text) {
      case "TCP" -> Protocol.TCP;
      case "UDP" -> Protocol.UDP;
      case "SCTP" -> Protocol.SCTP;
      default -> {
        check.error(
            path
                + ": unsupported value "
                + quote(text)
                + ": supported values: \"TCP\", \"UDP\", \"SCTP\"");
        yield Protocol.TCP;
      }
    };
  }

  private static void portNumber(int n, String path, Check check) {
    if (n < 1 || n > 65535) {
      check.error(path + ": " + n + " must be between 1 and 65535, inclusive");
    }
  }

  /** Kubernetes' IANA service name rule for port names, or null when {@code name} follows it. */
  static String portNameProblem(String name) {
    if (name.isEmpty() || name.length() > 15) {
      return "must be no more than 15 characters";
    }
    if (!PORT_NAME.matcher(name).matches()) {
      return "must contain only lower-case letters, digits and '-'";
    }
    if (name.chars().noneMatch(ch -> ch >= 'a' && ch <= 'z')) {
      return "must contain at least one letter";
    }
    if (name.contains("--")) {
      return "must not contain consecutive hyphens";
    }
    if (name.startsWith("-") || name.endsWith("-")) {
      return "must not begin or end with a hyphen";
    }
    return null;
  }

  /** A label selector, validated as the API server does. */
  static LabelSelector selector(NetworkPolicyInfo.Selector s, String path, Check check) {
    int before = check.errors.size();
    Map<String, String> labels = new LinkedHashMap<>();
    s.matchLabels()
        .forEach(
            (k, v) -> {
              String at = path + ".matchLabels";
              labelKey(k, at, check);
              labelValue(v, at + "[" + k + "]", check);
              labels.put(k, v);
            });
    List<LabelRequirement> requirements = new ArrayList<>();
    for (int i = 0; i < s.matchExpressions().size(); i++) {
      LabelRequirement r =
          requirement(s.matchExpressions().get(i), path + ".matchExpressions[" + i + "]", check);
      if (r != null) {
        requirements.add(r);
      }
    }
    return check.errors.size() == before ? new LabelSelector(labels, requirements) : null;
  }

  private static LabelRequirement requirement(
      NetworkPolicyInfo.Expression e, String path, Check check) {
    if (e == null) {
      check.error(path + ": must not be null");
      return null;
    }
    int before = check.errors.size();
    labelKey(e.key(), path + ".key", check);
    LabelRequirement.Operator operator = null;
    try {
      operator = LabelRequirement.Operator.parse(e.operator());
    } catch (IllegalArgumentException x) {
      check.error(
          path
              + ".operator: "
              + (e.operator() == null ? "required" : "unsupported value " + quote(e.operator()))
              + ": supported values: \"In\", \"NotIn\", \"Exists\", \"DoesNotExist\"");
    }
    if (operator != null) {
      boolean needsValues =
          operator == LabelRequirement.Operator.IN || operator == LabelRequirement.Operator.NOT_IN;
      if (needsValues && e.values().isEmpty()) {
        check.error(path + ".values: must be specified when `operator` is 'In' or 'NotIn'");
      } else if (!needsValues && !e.values().isEmpty()) {
        check.error(
            path
                + ".values: may not be specified when `operator` is 'Exists' or 'DoesNotExist',"
                + " found "
                + e.values());
      }
      for (int i = 0; i < e.values().size(); i++) {
        labelValue(e.values().get(i), path + ".values[" + i + "]", check);
      }
    }
    if (check.errors.size() != before) {
      return null;
    }
    return new LabelRequirement(e.key(), operator, e.values());
  }

  private static void labelKey(String key, String path, Check check) {
    if (key == null || key.isEmpty()) {
      check.error(path + ": a label key is required");
      return;
    }
    String name = key;
    int slash = key.lastIndexOf('/');
    if (slash >= 0) {
      String prefix = key.substring(0, slash);
      name = key.substring(slash + 1);
      if (prefix.isEmpty()
          || prefix.length() > 253
          || !DNS_SUBDOMAIN.matcher(prefix).matches()
          || prefix.indexOf('/') >= 0) {
        check.error(
            path
                + ": "
                + quote(key)
                + " is not a valid label key: its prefix must be a DNS subdomain (lower-case"
                + " letters, digits, '-' and '.')");
        return;
      }
    }
    if (name.isEmpty() || name.length() > 63 || !LABEL_NAME.matcher(name).matches()) {
      check.error(
          path
              + ": "
              + quote(key)
              + " is not a valid label key: its name must be 1-63 characters, letters, digits, '-',"
              + " '_' or '.', beginning and ending with a letter or digit");
    }
  }

  private static void labelValue(String value, String path, Check check) {
    if (value == null) {
      check.error(path + ": a label value must not be null (use \"\" for an empty value)");
      return;
    }
    if (!value.isEmpty() && (value.length() > 63 || !LABEL_NAME.matcher(value).matches())) {
      check.error(
          path
              + ": "
              + quote(value)
              + " is not a valid label value: it must be empty or 1-63 characters, letters,"
              + " digits, '-', '_' or '.', beginning and ending with a letter or digit");
    }
  }

  private static String quote(String s) {
    return s == null ? "null" : "\"" + s + "\"";
  }

  /** Problems found while translating one policy: errors refuse it, warnings are told. */
  static final class Check {
    private final String where;
    final List<String> errors = new ArrayList<>();
    final List<InputWarning> warnings = new ArrayList<>();

    Check(String where) {
      this.where = where;
    }

    void error(String message) {
      errors.add(message);
    }

    void warn(String reason, String message) {
      warnings.add(new InputWarning(reason, where + ": " + message));
    }
  }

  // --- named ports ------------------------------------------------------------------------------

  /**
   * A named port of a policy, with where the pods it resolves on may live: a named port matches on
   * a destination pod that declares a container port of that name and protocol. For an ingress rule
   * the destination is a pod the policy selects, in its own namespace; for an egress rule, a pod
   * among the rule's peers: the policy's namespace for a pod selector alone, the namespaces a
   * namespace selector picks, or any namespace for a rule open to every peer or an ipBlock.
   *
   * @param path the port's field path, such as {@code spec.egress[1].ports[0]}
   * @param ownNamespace whether pods of the policy's namespace are in scope
   * @param anyNamespace whether pods of every namespace are in scope
   * @param namespaceSelectors selectors of further namespaces in scope
   */
  public record NamedPortUse(
      String path,
      String name,
      Protocol protocol,
      boolean ownNamespace,
      boolean anyNamespace,
      List<LabelSelector> namespaceSelectors) {
    public NamedPortUse {
      namespaceSelectors = List.copyOf(namespaceSelectors);
    }

    /** The scope in words, for a message. */
    String scope(String namespace) {
      if (anyNamespace) {
        return "any namespace";
      }
      List<String> parts = new ArrayList<>();
      if (ownNamespace) {
        parts.add("namespace \"" + namespace + "\"");
      }
      namespaceSelectors.forEach(s -> parts.add("a namespace matching " + s));
      return String.join(" or ", parts);
    }
  }

  /** The named ports of {@code policy}, one entry per port entry that names a port. */
  public static List<NamedPortUse> namedPorts(FirewallPolicy policy) {
    List<NamedPortUse> out = new ArrayList<>();
    for (int i = 0; i < policy.ingressRules().size(); i++) {
      List<FirewallPort> ports = policy.ingressRules().get(i).ports();
      for (int j = 0; j < ports.size(); j++) {
        FirewallPort p = ports.get(j);
        if (p.name() != null) {
          out.add(
              new NamedPortUse(
                  "spec.ingress[" + i + "].ports[" + j + "]",
                  p.name(),
                  p.protocol(),
                  true,
                  false,
                  List.of()));
        }
      }
    }
    for (int i = 0; i < policy.egressRules().size(); i++) {
      FirewallRule rule = policy.egressRules().get(i);
      boolean own = false;
      boolean any = rule.peers().isEmpty();
      List<LabelSelector> selectors = new ArrayList<>();
      for (FirewallPeer peer : rule.peers()) {
        if (peer.ipBlock() != null) {
          any = true;
        } else if (peer.namespaceSelector() == null) {
          own = true;
        } else if (peer.namespaceSelector().isEmpty()) {
          any = true;
        } else if (!selectors.contains(peer.namespaceSelector())) {
          selectors.add(peer.namespaceSelector());
        }
      }
      for (int j = 0; j < rule.ports().size(); j++) {
        FirewallPort p = rule.ports().get(j);
        if (p.name() != null) {
          out.add(
              new NamedPortUse(
                  "spec.egress[" + i + "].ports[" + j + "]",
                  p.name(),
                  p.protocol(),
                  own && !any,
                  any,
                  any ? List.of() : selectors));
        }
      }
    }
    return out;
  }

  /** The warning for a named port that no pod in its scope declares. */
  public static InputWarning undeclared(NetworkPolicyInfo np, NamedPortUse use) {
    return new InputWarning(
        NAMED_PORT_NOT_DECLARED,
        where(np)
            + ": "
            + use.path()
            + ": no pod in "
            + use.scope(np.namespace())
            + " declares a "
            + use.protocol().name()
            + " container port named "
            + quote(use.name())
            + ", so this port matches nothing until one does");
  }
}
