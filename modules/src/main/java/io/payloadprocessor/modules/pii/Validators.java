package io.payloadprocessor.modules.pii;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.google.common.net.InetAddresses;
import java.util.Base64;
import java.util.Map;

/**
 * Checks on a candidate's text: Luhn, IBAN country lengths and ISO 7064 mod-97, IPv6 syntax, key
 * entropy, JWT structure. Each works on the candidate's text only.
 */
final class Validators {
  private static final ObjectMapper JSON =
      JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

  /** IBAN length per country (SWIFT IBAN registry). */
  static final Map<String, Integer> IBAN_LENGTHS =
      Map.ofEntries(
          Map.entry("AD", 24),
          Map.entry("AE", 23),
          Map.entry("AL", 28),
          Map.entry("AT", 20),
          Map.entry("AZ", 28),
          Map.entry("BA", 20),
          Map.entry("BE", 16),
          Map.entry("BG", 22),
          Map.entry("BH", 22),
          Map.entry("BI", 27),
          Map.entry("BR", 29),
          Map.entry("BY", 28),
          Map.entry("CH", 21),
          Map.entry("CR", 22),
          Map.entry("CY", 28),
          Map.entry("CZ", 24),
          Map.entry("DE", 22),
          Map.entry("DJ", 27),
          Map.entry("DK", 18),
          Map.entry("DO", 28),
          Map.entry("EE", 20),
          Map.entry("EG", 29),
          Map.entry("ES", 24),
          Map.entry("FI", 18),
          Map.entry("FK", 18),
          Map.entry("FO", 18),
          Map.entry("FR", 27),
          Map.entry("GB", 22),
          Map.entry("GE", 22),
          Map.entry("GI", 23),
          Map.entry("GL", 18),
          Map.entry("GR", 27),
          Map.entry("GT", 28),
          Map.entry("HR", 21),
          Map.entry("HU", 28),
          Map.entry("IE", 22),
          Map.entry("IL", 23),
          Map.entry("IQ", 23),
          Map.entry("IS", 26),
          Map.entry("IT", 27),
          Map.entry("JO", 30),
          Map.entry("KW", 30),
          Map.entry("KZ", 20),
          Map.entry("LB", 28),
          Map.entry("LC", 32),
          Map.entry("LI", 21),
          Map.entry("LT", 20),
          Map.entry("LU", 20),
          Map.entry("LV", 21),
          Map.entry("LY", 25),
          Map.entry("MC", 27),
          Map.entry("MD", 24),
          Map.entry("ME", 22),
          Map.entry("MK", 19),
          Map.entry("MN", 20),
          Map.entry("MR", 27),
          Map.entry("MT", 31),
          Map.entry("MU", 30),
          Map.entry("NI", 28),
          Map.entry("NL", 18),
          Map.entry("NO", 15),
          Map.entry("OM", 23),
          Map.entry("PK", 24),
          Map.entry("PL", 28),
          Map.entry("PS", 29),
          Map.entry("PT", 25),
          Map.entry("QA", 29),
          Map.entry("RO", 24),
          Map.entry("RS", 22),
          Map.entry("RU", 33),
          Map.entry("SA", 24),
          Map.entry("SC", 31),
          Map.entry("SD", 18),
          Map.entry("SE", 24),
          Map.entry("SI", 19),
          Map.entry("SK", 24),
          Map.entry("SM", 27),
          Map.entry("SO", 23),
          Map.entry("ST", 25),
          Map.entry("SV", 28),
          Map.entry("TL", 23),
          Map.entry("TN", 24),
          Map.entry("TR", 26),
          Map.entry("UA", 29),
          Map.entry("VA", 22),
          Map.entry("VG", 24),
          Map.entry("XK", 20),
          Map.entry("YE", 30));

  private Validators() {}

  /** The Luhn (mod 10) check over a digit string. */
  static boolean luhn(String digits) {
    int sum = 0;
    boolean dbl = false;
    for (int i = digits.length() - 1; i >= 0; i--) {
      int d = digits.charAt(i) - '0';
      if (dbl) {
        d *= 2;
        if (d > 9) {
          d -= 9;
        }
      }
      sum += d;
      dbl = !dbl;
    }
    return sum % 10 == 0;
  }

  /** Country code, the country's length, and ISO 7064 mod 97-10 equal to 1. */
  static boolean iban(String candidate) {
    StringBuilder sb = new StringBuilder(34);
    for (int i = 0; i < candidate.length(); i++) {
      char c = candidate.charAt(i);
      if (c != ' ') {
        sb.append(Character.toUpperCase(c));
      }
    }
    String iban = sb.toString();
    Integer expected = iban.length() < 4 ? null : IBAN_LENGTHS.get(iban.substring(0, 2));
    if (expected == null || expected != iban.length()) {
      return false;
    }
    return mod97(iban.substring(4) + iban.substring(0, 4)) == 1;
  }

  /** Remainder mod 97 of the number formed by replacing letters with 10..35. */
  static int mod97(String s) {
    int rem = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c >= '0' && c <= '9') {
        rem = (rem * 10 + (c - '0')) % 97;
      } else if (c >= 'A' && c <= 'Z') {
        rem = (rem * 100 + (c - 'A' + 10)) % 97;
      } else {
        return -1;
      }
    }
    return rem;
  }

  /** A valid IPv6 literal (Guava parses it without any DNS lookup), not just "::". */
  static boolean ipv6(String candidate) {
    int pct = candidate.indexOf('%');
    String addr = pct < 0 ? candidate : candidate.substring(0, pct);
    return !addr.equals("::") && addr.indexOf(':') >= 0 && InetAddresses.isInetAddress(addr);
  }

  /** A key body that is not one repeated character. */
  static boolean notRepetitive(String candidate) {
    return distinct(candidate) >= 6;
  }

  private static int distinct(String s) {
    return (int) s.chars().distinct().count();
  }

  /** {@code sk-} keys: letters and digits mixed, not a hyphenated word list. */
  static boolean apiKey(String candidate) {
    String body = candidate.substring(3);
    boolean digit = false;
    boolean letter = false;
    for (int i = 0; i < body.length(); i++) {
      char c = body.charAt(i);
      digit |= c >= '0' && c <= '9';
      letter |= (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }
    return digit && letter && distinct(body) >= 10;
  }

  /** Header and payload are base64url JSON objects; the header names an {@code alg}. */
  static boolean jwt(String candidate) {
    String[] parts = candidate.split("\\.", -1);
    if (parts.length != 3) {
      return false;
    }
    JsonNode header = b64Json(parts[0]);
    JsonNode payload = b64Json(parts[1]);
    return header != null
        && header.isObject()
        && header.has("alg")
        && payload != null
        && payload.isObject();
  }

  private static JsonNode b64Json(String part) {
    try {
      return JSON.readTree(Base64.getUrlDecoder().decode(part));
    } catch (IllegalArgumentException | java.io.IOException e) {
      return null;
    }
  }

  /** A PEM block with a body of at least 40 base64 characters. */
  static boolean privateKey(String candidate) {
    int start = candidate.indexOf("-----", 5) + 5;
    int end = candidate.lastIndexOf("-----END");
    int b64 = 0;
    for (int i = start; i < end; i++) {
      char c = candidate.charAt(i);
      if (Character.isLetterOrDigit(c) || c == '+' || c == '/') {
        b64++;
      }
    }
    return b64 >= 40;
  }
}
