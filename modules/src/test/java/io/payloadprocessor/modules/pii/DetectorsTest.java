package io.payloadprocessor.modules.pii;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.payloadprocessor.modules.common.UserRegex;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DetectorsTest {
  static final PiiScanner ALL = scanner(PiiAction.MASK);

  static PiiScanner scanner(PiiAction action) {
    List<PiiRule> rules = new ArrayList<>();
    for (String n : Detectors.builtinNames()) {
      Detector d = Detectors.builtin(n);
      rules.add(new PiiRule(d, action, false, "[" + d.label() + "]"));
    }
    return new PiiScanner(rules);
  }

  /** "name=value" for each finding of {@code text}. */
  static List<String> found(String text) {
    List<String> out = new ArrayList<>();
    for (Finding f : ALL.scan(text)) {
      out.add(f.rule().name() + "=" + text.substring(f.start(), f.end()));
    }
    return out;
  }

  static String inSentence(String value) {
    return "my value is " + value + ", thanks";
  }

  @ParameterizedTest
  @ValueSource(strings = {"john.doe@example.com", "a+tag@sub.example.co.uk", "X_Y%z@mail-1.io"})
  void emailValid(String v) {
    assertThat(found(inSentence(v))).containsExactly("email=" + v);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"john..doe@example.com", "user@localhost", "@example.com", ".john@example.com"})
  void emailInvalid(String v) {
    assertThat(found(inSentence(v))).noneMatch(s -> s.startsWith("email="));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "+44 20 7946 0958",
        "+1 (415) 555-2671",
        "+14155552671",
        "0049 30 1234567",
        "(415) 555-2671",
        "415-555-2671",
        "415.555.2671",
        "030 12345678",
        "06 12 34 56 78",
        "020 7946 0958"
      })
  void phoneValid(String v) {
    assertThat(found(inSentence(v))).containsExactly("phone=" + v);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "(123) 456-7890", // NANP area code cannot start with 1
        "415-911-2671", // N11 exchange
        "+0 20 7946 0958", // no country code 0
        "2024-01-15",
        "12:30:45",
        "555-2671",
        "01.02.2024 12", // mixed separators
        "+1 23" // too short for E.164
      })
  void phoneInvalid(String v) {
    assertThat(found(inSentence(v))).noneMatch(s -> s.startsWith("phone="));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "4111111111111111",
        "5500 0000 0000 0004",
        "378282246310005",
        "6011 1111 1111 1117",
        "3530111333300000"
      })
  void paymentCardValid(String v) {
    assertThat(found(inSentence(v))).containsExactly("payment_card=" + v);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "4111 1111 1111 1112", // Luhn fails
        "4111 1111-1111 1111", // mixed separators
        "0000 0000 0000 0000", // not an issuer prefix
        "411111111111", // 12 digits
        "41111111111111111111" // 20 digits
      })
  void paymentCardInvalid(String v) {
    assertThat(found(inSentence(v))).noneMatch(s -> s.startsWith("payment_card="));
  }

  @Test
  void luhn() {
    assertThat(Validators.luhn("79927398713")).isTrue();
    assertThat(Validators.luhn("79927398710")).isFalse();
    assertThat(Validators.luhn("4111111111111111")).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"123-45-6789", "123 45 6789", "123.45.6789", "772-12-3456"})
  void ssnValid(String v) {
    assertThat(found(inSentence(v))).contains("us_ssn=" + v);
  }

  @Test
  void bareNineDigitsAreAnSsnOnlyInContext() {
    // Nine digits alone are as often an order or account number: a word like SSN must come first.
    assertThat(found("SSN: 123456789")).containsExactly("us_ssn=123456789");
    assertThat(found("my social security number is 123456789.")).contains("us_ssn=123456789");
    assertThat(found("order 123456789 shipped")).isEmpty();
    assertThat(found("my value is 123456789, thanks")).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "000-12-3456", // area 000
        "666-12-3456", // area 666
        "900-12-3456", // 9xx areas
        "987-65-4321",
        "123-00-4567", // group 00
        "123-45-0000", // serial 0000
        "078-05-1120", // voided (Woolworth wallet)
        "123-45 6789" // mixed separators
      })
  void ssnInvalid(String v) {
    assertThat(found(inSentence(v))).noneMatch(s -> s.startsWith("us_ssn="));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "GB82 WEST 1234 5698 7654 32",
        "GB82WEST12345698765432",
        "DE89 3704 0044 0532 0130 00",
        "FR14 2004 1010 0505 0001 3M02 606",
        "NL91 ABNA 0417 1643 00",
        "BE68 5390 0754 7034",
        "CH93 0076 2011 6238 5295 7",
        "NO93 8601 1117 947"
      })
  void ibanValid(String v) {
    assertThat(found(inSentence(v))).containsExactly("iban=" + v);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "GB82 WEST 1234 5698 7654 33", // check digits wrong
        "GB82 WEST 1234 5698 7654", // wrong length for GB
        "XX82 WEST 1234 5698 7654 32", // no such country
        "DE89 3704 0044 0532 0130 01"
      })
  void ibanInvalid(String v) {
    assertThat(found(inSentence(v))).noneMatch(s -> s.startsWith("iban="));
  }

  @Test
  void mod97() {
    // ISO 13616 example: GB82WEST12345698765432 rearranged gives remainder 1.
    assertThat(Validators.mod97("WEST12345698765432GB82")).isEqualTo(1);
    assertThat(Validators.iban("gb82 west 1234 5698 7654 32")).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"192.168.1.10", "10.0.0.1", "8.8.8.8", "255.255.255.255"})
  void ipv4Valid(String v) {
    assertThat(found(inSentence(v))).containsExactly("ipv4=" + v);
  }

  @ParameterizedTest
  @ValueSource(strings = {"256.1.1.1", "1.2.3", "192.168.1.10.5", "01.2.3.4"})
  void ipv4Invalid(String v) {
    assertThat(found(inSentence(v))).noneMatch(s -> s.startsWith("ipv4="));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "2001:db8::8a2e:370:7334",
        "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
        "::1",
        "fe80::1%eth0",
        "::ffff:192.0.2.1"
      })
  void ipv6Valid(String v) {
    assertThat(found(inSentence(v))).containsExactly("ipv6=" + v);
  }

  @ParameterizedTest
  @ValueSource(strings = {"12:30:45", "2001:db8:::1", "dead:beef:cafe", "std::vector", "::"})
  void ipv6Invalid(String v) {
    assertThat(found(inSentence(v))).noneMatch(s -> s.startsWith("ipv6="));
  }

  @Test
  void awsAccessKey() {
    assertThat(found(inSentence("AKIAIOSFODNN7EXAMPLE")))
        .containsExactly("aws_access_key=AKIAIOSFODNN7EXAMPLE");
    assertThat(found(inSentence("AKIAIOSFODNN7EXAMPL"))).isEmpty(); // 19 characters
    assertThat(found(inSentence("AKIA1111111111111111"))).isEmpty(); // not base32
    assertThat(found(inSentence("XAKIAIOSFODNN7EXAMPLE"))).isEmpty(); // inside a word
  }

  @Test
  void githubToken() {
    String classic = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5";
    assertThat(classic).hasSize(40);
    assertThat(found(inSentence(classic))).containsExactly("github_token=" + classic);
    String fine = "github_pat_11ABCDEFG0" + "x7Yz".repeat(20);
    assertThat(found(inSentence(fine))).containsExactly("github_token=" + fine);
    assertThat(found(inSentence("ghp_tooshort123"))).isEmpty();
    assertThat(found(inSentence("ghp_" + "a".repeat(36)))).isEmpty(); // no entropy
  }

  @Test
  void apiKey() {
    String key = "sk-proj-abc123DEF456ghi789JKL012mno345";
    assertThat(found(inSentence(key))).containsExactly("api_key=" + key);
    assertThat(found(inSentence("sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Jh1")))
        .containsExactly("api_key=sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Jh1");
    assertThat(found(inSentence("sk-learn-is-a-great-library-for-ml"))).isEmpty();
    assertThat(found(inSentence("sk-short1"))).isEmpty();
  }

  @Test
  void jwt() {
    String jwt =
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9l"
            + "IiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
    assertThat(found(inSentence(jwt))).containsExactly("jwt=" + jwt);
    String noAlg = b64("{\"typ\":\"JWT\"}") + "." + b64("{\"sub\":\"1\"}") + ".sig";
    assertThat(noAlg).startsWith("eyJ");
    assertThat(found(inSentence(noAlg))).isEmpty();
    String notJson = "eyJhbGciOiJIUzI1NiJ9xx.eyJzdWIiOiJ9.sig";
    assertThat(found(inSentence(notJson))).isEmpty();
  }

  private static String b64(String s) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void privateKey() {
    String body =
        """
        MIIEowIBAAKCAQEA7bq98Gf2d0cm9A4Gx5vZ3s1h2qN8dJbP0kq1uY5e9zT2lW3X4r
        Q6wK8mN0pL2jH4gF6dS8aA1zX3cV5bN7mM9kJ1hG3fD5sA7qW9eR2tY4uI6oP8
        """;
    String pem = "-----BEGIN RSA PRIVATE KEY-----\n" + body + "-----END RSA PRIVATE KEY-----";
    assertThat(found("key:\n" + pem + "\nend")).containsExactly("private_key=" + pem);
    String pub = "-----BEGIN PUBLIC KEY-----\n" + body + "-----END PUBLIC KEY-----";
    assertThat(found(pub)).noneMatch(s -> s.startsWith("private_key="));
    String tiny = "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----";
    assertThat(found(tiny)).isEmpty();
  }

  @Test
  void customRegexRespectsMaxLength() throws Exception {
    Detector d = Detectors.custom("employee-id", UserRegex.compile("EMP-[0-9]+", false), 10);
    PiiScanner s = new PiiScanner(List.of(new PiiRule(d, PiiAction.MASK, false, "[EMPLOYEE_ID]")));
    assertThat(s.scan("id EMP-123456 ok")).hasSize(1);
    assertThat(s.scan("id EMP-1234567890 too long")).isEmpty();
    assertThat(d.label()).isEqualTo("EMPLOYEE_ID");
  }

  @Test
  void overlapsKeepEarliestLongest() {
    // A card number is not also reported as a phone number or SSN fragment.
    assertThat(found("card 4111 1111 1111 1111 and mail a@b.io"))
        .containsExactly("payment_card=4111 1111 1111 1111", "email=a@b.io");
  }

  @Test
  void hostileInputsStayLinear() {
    String[] hostile = {
      "1 ".repeat(200_000),
      "a@".repeat(200_000),
      "+1234567890123456789012345678901234 ".repeat(10_000),
      "0".repeat(400_000),
      "A".repeat(400_000),
      "a:".repeat(200_000),
      "eyJ" + "a".repeat(400_000),
      "-----BEGIN PRIVATE KEY-----" + "A".repeat(400_000),
      "sk-" + "a1".repeat(200_000),
      "1.".repeat(200_000),
      "GB82 ".repeat(80_000)
    };
    assertTimeoutPreemptively(
        Duration.ofSeconds(20),
        () -> {
          for (String h : hostile) {
            ALL.scan(h);
          }
        });
  }

  @Test
  void maskPlaceholderAndPartial() {
    Detector email = Detectors.builtin("email");
    Detector card = Detectors.builtin("payment_card");
    PiiRule emailPartial = new PiiRule(email, PiiAction.MASK, true, null);
    PiiRule cardPartial = new PiiRule(card, PiiAction.MASK, true, null);
    PiiRule cardPlain = new PiiRule(card, PiiAction.MASK, false, "[PAYMENT_CARD]");
    assertThat(Masker.mask(emailPartial, "john@example.com")).isEqualTo("j***@example.com");
    assertThat(Masker.mask(cardPartial, "4111 1111 1111 1111")).isEqualTo("**** **** **** 1111");
    assertThat(Masker.mask(cardPlain, "4111 1111 1111 1111")).isEqualTo("[PAYMENT_CARD]");
  }
}
