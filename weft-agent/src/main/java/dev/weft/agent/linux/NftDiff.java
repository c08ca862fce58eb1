package dev.weft.agent.linux;

import dev.weft.agent.linux.KernelState.NftTable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The one {@code nft -f} transaction that turns the kernel's {@code inet weft} into the desired
 * one, the kernel applying it atomically: packets see the old table or the new, never a mix.
 *
 * <ul>
 *   <li>Set and map elements are patched: only missing elements are added and extra ones deleted,
 *       so adding the 10,001st service is a few elements, not a reload.
 *   <li>A chain whose rules differ is flushed and refilled. Rules are compared by the digest each
 *       carries in its comment, not by nftables' rendering of them. Chains are few and short by
 *       design (the size is in maps), so this costs little.
 *   <li>A set or base chain whose declaration changed (a new Weft version) makes the table be
 *       deleted and re-created in the same transaction: established flows keep their conntrack
 *       entries and NAT bindings across it.
 * </ul>
 *
 * Order matters inside the transaction, since the kernel checks references as it goes: new chains
 * and sets first, then element deletions (a verdict map element may jump to a chain about to go),
 * then refilled chains, then element additions, then obsolete chains are flushed, obsolete sets
 * deleted (their elements may jump to obsolete chains), and obsolete chains deleted.
 */
final class NftDiff {
  private NftDiff() {}

  static String script(NftTable have, Nft.Ruleset want) {
    if (want.isEmpty()) {
      return have.exists() ? NftScript.deleteTable() : "";
    }
    if (!have.exists()) {
      return want.script();
    }
    if (redeclared(have, want)) {
      return NftScript.deleteTable() + want.script();
    }
    StringBuilder sb = new StringBuilder();
    for (Nft.Chain c : want.chains()) {
      if (!have.chains().containsKey(c.name())) {
        sb.append(NftScript.addChain(c));
      }
    }
    for (Nft.Set s : want.sets()) {
      if (!have.sets().containsKey(s.name())) {
        sb.append(NftScript.addSet(s));
      }
    }
    List<String> adds = new ArrayList<>();
    for (Nft.Set s : want.sets()) {
      Nft.Set old = have.sets().get(s.name());
      List<Nft.Element> add = new ArrayList<>();
      List<Nft.Element> delete = new ArrayList<>();
      if (old == null) {
        add.addAll(s.elements());
      } else {
        Map<String, Nft.Element> wanted = new HashMap<>();
        for (Nft.Element e : s.elements()) {
          wanted.put(e.keyText(), e);
        }
        Set<Nft.Element> had = new HashSet<>(old.elements());
        for (Nft.Element e : old.elements()) {
          if (!e.equals(wanted.get(e.keyText()))) {
            delete.add(e);
          }
        }
        for (Nft.Element e : s.elements()) {
          if (!had.contains(e)) {
            add.add(e);
          }
        }
      }
      if (!delete.isEmpty()) {
        sb.append(NftScript.elements("delete", s, delete));
      }
      if (!add.isEmpty()) {
        adds.add(NftScript.elements("add", s, add));
      }
    }
    for (Nft.Chain c : want.chains()) {
      KernelState.Chain old = have.chains().get(c.name());
      List<String> comments = c.rules().stream().map(Nft.Chain::comment).toList();
      if (old != null && old.comments().equals(comments)) {
        continue;
      }
      if (old != null) {
        sb.append(NftScript.flushChain(c.name()));
      }
      for (String r : c.rules()) {
        sb.append(NftScript.addRule(c.name(), r));
      }
    }
    adds.forEach(sb::append);
    List<String> obsolete = new ArrayList<>();
    for (String name : have.chains().keySet()) {
      if (want.chain(name) == null) {
        obsolete.add(name);
        sb.append(NftScript.flushChain(name));
      }
    }
    // Obsolete sets before obsolete chains: a verdict map's elements hold references to chains.
    for (Nft.Set s : have.sets().values()) {
      if (want.set(s.name()) == null) {
        sb.append(NftScript.deleteSet(s));
      }
    }
    for (String name : obsolete) {
      sb.append(NftScript.deleteChain(name));
    }
    return sb.toString();
  }

  private static boolean redeclared(NftTable have, Nft.Ruleset want) {
    for (Nft.Set s : want.sets()) {
      Nft.Set old = have.sets().get(s.name());
      if (old != null && !old.declaration().equals(s.declaration())) {
        return true;
      }
    }
    for (Nft.Chain c : want.chains()) {
      KernelState.Chain old = have.chains().get(c.name());
      if (old != null && !Objects.equals(old.base(), c.base())) {
        return true;
      }
    }
    return false;
  }
}
