package io.payloadprocessor.server.grpc;

import com.google.protobuf.BoolValue;
import com.google.protobuf.ByteString;
import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.ImmediateResponse;
import io.envoyproxy.envoy.type.v3.HttpStatus;
import io.payloadprocessor.spi.Headers;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** Translation between Envoy's ext_proc protos and the neutral {@link Headers} view. */
public final class EnvoyMessages {
  private EnvoyMessages() {}

  /** Envoy sends values in {@code raw_value} (bytes); older senders may use {@code value}. */
  public static Headers headers(HeaderMap map) {
    Headers h = new Headers();
    for (HeaderValue hv : map.getHeadersList()) {
      String value = hv.getRawValue().isEmpty() ? hv.getValue() : hv.getRawValue().toStringUtf8();
      h.add(hv.getKey(), value);
    }
    return h;
  }

  /**
   * The mutation that turns {@code before} into {@code after}: removes for names that vanished,
   * sets (first value replaces, further values append) for names whose values changed. Values go in
   * {@code raw_value} only, the one field Envoy reads.
   */
  public static HeaderMutation diff(Headers before, Headers after) {
    if (after.unchangedSince(before)) {
      return HeaderMutation.getDefaultInstance();
    }
    // The maps directly: names are already normalised, and after a snapshot a value list is
    // replaced, never changed in place, so a list that is the same object on both sides is
    // unchanged.
    Map<String, List<String>> was = before.asMap();
    Map<String, List<String>> now = after.asMap();
    HeaderMutation.Builder m = HeaderMutation.newBuilder();
    for (String name : was.keySet()) {
      if (!now.containsKey(name)) {
        m.addRemoveHeaders(name);
      }
    }
    for (Map.Entry<String, List<String>> e : now.entrySet()) {
      List<String> values = e.getValue();
      List<String> old = was.get(e.getKey());
      if (values == old || values.equals(old)) {
        continue;
      }
      for (int i = 0; i < values.size(); i++) {
        m.addSetHeaders(option(e.getKey(), values.get(i), i > 0));
      }
    }
    return m.build();
  }

  /** A header mutation setting every header of {@code headers}. */
  public static HeaderMutation setAll(Headers headers) {
    return diff(new Headers(), headers);
  }

  @SuppressWarnings("deprecation") // Envoy 1.34 reads only the deprecated append field
  public static HeaderValueOption option(String name, String value, boolean append) {
    return HeaderValueOption.newBuilder()
        .setHeader(
            HeaderValue.newBuilder()
                .setKey(name)
                .setRawValue(ByteString.copyFrom(value, StandardCharsets.UTF_8)))
        .setAppend(BoolValue.of(append))
        .build();
  }

  public static boolean isEmpty(HeaderMutation m) {
    return m.getSetHeadersCount() == 0 && m.getRemoveHeadersCount() == 0;
  }

  public static ImmediateResponse immediate(
      int status, Headers headers, byte[] body, String details) {
    return ImmediateResponse.newBuilder()
        .setStatus(HttpStatus.newBuilder().setCodeValue(status))
        .setHeaders(setAll(headers))
        .setBody(ByteString.copyFrom(body == null ? new byte[0] : body))
        .setDetails(details)
        .build();
  }

  /** Plain Java values (maps, lists, strings, doubles, booleans, null) from a protobuf Struct. */
  public static Map<String, Object> toJava(Struct struct) {
    Map<String, Object> out = new java.util.LinkedHashMap<>();
    struct.getFieldsMap().forEach((k, v) -> out.put(k, toJava(v)));
    return out;
  }

  private static Object toJava(Value v) {
    return switch (v.getKindCase()) {
      case STRING_VALUE -> v.getStringValue();
      case NUMBER_VALUE -> v.getNumberValue();
      case BOOL_VALUE -> v.getBoolValue();
      case STRUCT_VALUE -> toJava(v.getStructValue());
      case LIST_VALUE -> {
        List<Object> l = new java.util.ArrayList<>();
        v.getListValue().getValuesList().forEach(e -> l.add(toJava(e)));
        yield l;
      }
      default -> null;
    };
  }

  /** A protobuf Struct from plain Java values (maps, lists, strings, numbers, booleans). */
  public static Struct struct(Map<String, ?> map) {
    Struct.Builder b = Struct.newBuilder();
    map.forEach((k, v) -> b.putFields(k, value(v)));
    return b.build();
  }

  @SuppressWarnings("unchecked")
  public static Value value(Object v) {
    if (v == null) {
      return Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
    }
    if (v instanceof Value val) {
      return val;
    }
    if (v instanceof Struct st) {
      return Value.newBuilder().setStructValue(st).build();
    }
    if (v instanceof Boolean b) {
      return Value.newBuilder().setBoolValue(b).build();
    }
    if (v instanceof Number n) {
      return Value.newBuilder().setNumberValue(n.doubleValue()).build();
    }
    if (v instanceof Map<?, ?> m) {
      return Value.newBuilder().setStructValue(struct((Map<String, ?>) m)).build();
    }
    if (v instanceof Iterable<?> it) {
      ListValue.Builder lb = ListValue.newBuilder();
      for (Object o : it) {
        lb.addValues(value(o));
      }
      return Value.newBuilder().setListValue(lb).build();
    }
    return Value.newBuilder().setStringValue(String.valueOf(v)).build();
  }
}
