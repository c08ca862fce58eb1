package dev.weft.store.objects;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.weft.model.ConfigObject;
import dev.weft.model.ObjectType;
import java.io.IOException;

/**
 * JSON encoding of objects, Contrail style ({@code fq_name}, {@code network_ipam_refs}).
 *
 * <p>Two mappers: a lenient one for what the store holds (so an older Weft can read a newer object)
 * and a strict one for what users send (so a misspelt field is an error, not ignored).
 */
public final class ObjectCodec {
  private final ObjectMapper lenient;
  private final ObjectMapper strict;

  public ObjectCodec() {
    this.lenient = base().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
    this.strict = base().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
  }

  private static JsonMapper.Builder base() {
    return JsonMapper.builder()
        .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
        .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
  }

  /** The mapper configured for objects; also fine for other JSON. */
  public ObjectMapper mapper() {
    return lenient;
  }

  public byte[] encode(ConfigObject object) {
    try {
      return lenient.writeValueAsBytes(object);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode " + object.type() + " " + object.uuid(), e);
    }
  }

  public JsonNode toTree(ConfigObject object) {
    return lenient.valueToTree(object);
  }

  public ConfigObject decode(ObjectType type, byte[] json) {
    try {
      return lenient.readValue(json, type.recordClass());
    } catch (IOException e) {
      throw new IllegalStateException("stored " + type.singular() + " is not readable", e);
    }
  }

  /**
   * Reads a user-supplied object strictly; throws {@link IllegalArgumentException} with a message
   * naming the field at fault.
   */
  public <T extends ConfigObject> T decodeStrict(Class<T> type, JsonNode json) {
    try {
      return strict.treeToValue(json, type);
    } catch (JsonProcessingException e) {
      Throwable cause = e;
      while (cause.getCause() != null && cause.getCause() != cause) {
        cause = cause.getCause();
      }
      String detail =
          cause instanceof IllegalArgumentException || cause instanceof NullPointerException
              ? cause.getMessage()
              : e.getOriginalMessage();
      String path = e.getLocation() == null ? "" : "";
      throw new IllegalArgumentException(detail + path, e);
    }
  }
}
