package dev.weft.control.policy;

import dev.weft.control.policy.PolicyDecision.Basis;
import dev.weft.control.policy.PolicyDecision.Direction;
import dev.weft.control.policy.PolicyState.Rule;
import dev.weft.model.FirewallPort;
import dev.weft.model.Protocol;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The sentences of {@code weft trace}: the same walk over a pod's policies as {@link
 * PolicyView#egressAllows} and {@link PolicyView#ingressAllows}, keeping what decided (the first
 * allowing rule, with its peer and port, in evaluation order) or, when nothing allows, every policy
 * that selects the pod. Kept apart from the fast path, which must build nothing.
 */
final class Explanations {
  private Explanations() {}

  /**
   * The decision at {@code self} (the source for egress, the destination for ingress) about traffic
   * with {@code peer} at {@code peerAddress}, on {@code protocol}/{@code port} of the destination.
   * The first allowing rule in evaluation order (policies by name, rules, peers, ports in their
   * order) is the one named.
   */
  static PolicyDecision explain(
      Direction d,
      UUID selfId,
      Pod self,
      Pod peer,
      String peerAddress,
      Protocol protocol,
      int port) {
    String word = d.word();
    if (self == null) {
      return new PolicyDecision(
          d,
          true,
          Basis.NOT_A_POD,
          String.valueOf(selfId),
          List.of(),
          null,
          0,
          word + ": interface " + selfId + " is no pod's: NetworkPolicy does not apply");
    }
    String who = word + " " + self.displayName() + ": ";
    if (peer == self) {
      return new PolicyDecision(
          d,
          true,
          Basis.SELF,
          self.displayName(),
          List.of(),
          null,
          0,
          who + "a pod always reaches itself");
    }
    List<PolicyState> selecting = new ArrayList<>();
    for (PolicyState p : self.applied) {
      if (d == Direction.EGRESS ? p.egress : p.ingress) {
        selecting.add(p);
      }
    }
    List<String> names = selecting.stream().map(p -> p.name).toList();
    if (selecting.isEmpty()) {
      return new PolicyDecision(
          d,
          true,
          Basis.NOT_SELECTED,
          self.displayName(),
          names,
          null,
          0,
          who + "no NetworkPolicy selects this pod for " + word);
    }
    Pod destination = d == Direction.EGRESS ? peer : self;
    for (PolicyState p : selecting) {
      Rule[] rules = d == Direction.EGRESS ? p.egressRules : p.ingressRules;
      for (int i = 0; i < rules.length; i++) {
        Rule r = rules[i];
        int peerAt = r.peerIndex(peer, peerAddress);
        if (peerAt < 0) {
          continue;
        }
        int portAt = r.portIndex(protocol, port, destination);
        if (portAt < 0) {
          continue;
        }
        String peerText =
            peerAt == Integer.MAX_VALUE
                ? "any peer"
                : "peer " + (peerAt + 1) + ": " + r.peers[peerAt].source;
        String portText;
        if (portAt == Integer.MAX_VALUE) {
          portText = "any port";
        } else {
          FirewallPort fp = r.ports[portAt].source;
          portText =
              "port "
                  + fp
                  + (fp.name() != null
                      ? " (" + port + " on " + destination.displayName() + ")"
                      : "");
        }
        return new PolicyDecision(
            d,
            true,
            Basis.RULE,
            self.displayName(),
            names,
            p.name,
            i + 1,
            who
                + "allowed by NetworkPolicy "
                + p.name
                + " "
                + word
                + " rule "
                + (i + 1)
                + " ("
                + peerText
                + "; "
                + portText
                + ")");
      }
    }
    String peerText =
        (peerAddress == null ? "an unknown address" : peerAddress)
            + " ("
            + (peer != null ? peer.displayName() : "not a pod")
            + ")";
    String what =
        d == Direction.EGRESS
            ? protocol.wire()
                + " to "
                + peerText
                + (protocol == Protocol.ICMP ? "" : " port " + port)
            : protocol.wire()
                + " from "
                + peerText
                + (protocol == Protocol.ICMP ? "" : " to port " + port);
    return new PolicyDecision(
        d,
        false,
        Basis.NO_RULE,
        self.displayName(),
        names,
        null,
        0,
        who
            + "denied: selected by NetworkPolic"
            + (names.size() == 1 ? "y " : "ies ")
            + String.join(", ", names)
            + " and no rule allows "
            + what);
  }
}
