package dev.weft.control;

import dev.weft.model.FqName;
import java.util.Collection;
import java.util.UUID;

/** The compiled forwarding state at one store revision; valid only inside {@link Compiler#read}. */
public interface CompiledView {
  /** The store revision every change up to which is compiled in. */
  long revision();

  /** Null if no such interface is known. */
  Endpoint endpoint(UUID interfaceUuid);

  Collection<Endpoint> endpoints();

  /** Null if no such network exists. */
  Vrf vrf(FqName network);

  Collection<? extends Vrf> vrfs();
}
