package dev.weft.api.apply;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.model.FqName;
import dev.weft.model.ObjectType;
import java.util.UUID;

/**
 * What applying or deleting one document did.
 *
 * @param uuid the object's UUID; null when it was not found
 */
public record ApplyResult(Outcome outcome, ObjectType type, FqName fqName, UUID uuid) {
  /** The outcomes, as the {@code result} field spells them. */
  public enum Outcome {
    CREATED("created"),
    REPLACED("replaced"),
    UNCHANGED("unchanged"),
    DELETED("deleted"),
    NOT_FOUND("not found");

    private final String wire;

    Outcome(String wire) {
      this.wire = wire;
    }

    public String wire() {
      return wire;
    }
  }

  /** 201 for a creation, 200 otherwise. */
  public int httpStatus() {
    return outcome == Outcome.CREATED ? 201 : 200;
  }

  /** {@code {"result", "type", "fq_name", "uuid"}}. */
  public ObjectNode toJson(ObjectMapper json) {
    ObjectNode out = json.createObjectNode();
    out.put("result", outcome.wire());
    out.put("type", type.singular());
    out.set("fq_name", json.valueToTree(fqName));
    if (uuid == null) {
      out.putNull("uuid");
    } else {
      out.put("uuid", uuid.toString());
    }
    return out;
  }
}
