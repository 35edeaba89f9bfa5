package io.payloadprocessor.modules.pii;

import java.util.ArrayList;
import java.util.List;

/**
 * Issuer identification number (IIN) ranges and the card lengths their issuers use, after the
 * public list of payment card number ranges (ISO/IEC 7812 issuers: Visa, Mastercard, American
 * Express, Discover, JCB, Diners Club, UnionPay, Maestro, Mir, RuPay, Troy, Verve, UATP, UzCard,
 * Humo, Napas, and others). A digit string is a card number only if its prefix and length match one
 * range (and it passes Luhn, checked elsewhere): a 15-digit number starting with 1 is a UATP card,
 * a 15-digit number starting with 4 is not a card at all.
 */
final class CardBrands {
  /** One range: IINs {@code low..high} of {@code digits} digits, lengths as a bit set. */
  private record Range(int digits, int low, int high, int lengths) {}

  private static final List<Range> RANGES = new ArrayList<>();

  static {
    add("1", "15"); // UATP
    add("2014,2149", "15"); // Diners Club enRoute
    add("2200-2204", "16-19"); // Mir
    add("2205", "16"); // BORICA
    add("2221-2720", "16"); // Mastercard
    add("31", "19"); // China T-Union
    add("34,37", "15"); // American Express
    add("36", "14-19"); // Diners Club International
    add("300-305,38-39", "14-19"); // Diners Club
    add("3528-3589", "16-19"); // JCB
    add("353,356", "16"); // RuPay
    add("357111", "16"); // LankaPay
    add("4", "13,16,19"); // Visa (Electron: 16)
    add("4903,4905,4911,4936", "16,18,19"); // Switch
    add("50,56,58", "16,18,19"); // GPN
    add("5018,5020,5038,5893", "12-19"); // Maestro
    add("5019", "16"); // Dankort
    add("506099-506198,507865-507964", "16,18,19"); // Verve
    add("508", "16"); // RuPay
    add("51-55", "16"); // Mastercard (Diners Club US and Canada: 54)
    add("5610,560221-560225", "16"); // Bankcard
    add("5614", "16"); // UzCard
    add("564182", "16,18,19"); // Switch
    add("60-63", "16,18,19"); // GPN
    add("60,65,81,82", "16"); // RuPay, Troy (65)
    add("604001-604200", "16-19"); // UkrCard
    add("6054740-6054744", "16"); // NPS Pridnestrovie
    add("6011,644-649,65,622126-622925", "16-19"); // Discover
    add("62,81", "16-19"); // UnionPay
    add("6304,6706,6709,6771", "16-19"); // Laser
    add("6304,6759,6761-6763,676770,676774", "12-19"); // Maestro
    add("6333,633110", "16,18,19"); // Switch
    add("6334,6767", "16,18,19"); // Solo
    add("636", "16-19"); // InterPayment
    add("637-639", "16"); // InstaPayment
    add("650002-650027", "16,18,19"); // Verve
    add("8600", "16"); // UzCard
    add("9704", "16,19"); // Napas
    add("9792", "16"); // Troy
    add("9860", "16"); // Humo
  }

  private CardBrands() {}

  private static void add(String prefixes, String lengths) {
    int bits = 0;
    for (String l : lengths.split(",")) {
      String[] r = l.split("-");
      int lo = Integer.parseInt(r[0]);
      int hi = Integer.parseInt(r[r.length - 1]);
      for (int i = lo; i <= hi; i++) {
        bits |= 1 << i;
      }
    }
    for (String p : prefixes.split(",")) {
      String[] r = p.split("-");
      int digits = r[0].length();
      RANGES.add(
          new Range(digits, Integer.parseInt(r[0]), Integer.parseInt(r[r.length - 1]), bits));
    }
  }

  /** The shortest length any issuer uses. */
  static final int MIN_LENGTH = 12;

  /** The longest length any issuer uses. */
  static final int MAX_LENGTH = 19;

  /**
   * Whether a card number of {@code length} digits whose first eight digits are {@code first8} (as
   * a number) belongs to an issuer range.
   */
  static boolean issued(int first8, int length) {
    int[] prefix = new int[9]; // prefix[d]: the first d digits
    for (int d = 8, p = first8; d > 0; d--, p /= 10) {
      prefix[d] = p;
    }
    for (Range r : RANGES) {
      if ((r.lengths() & (1 << length)) != 0
          && prefix[r.digits()] >= r.low()
          && prefix[r.digits()] <= r.high()) {
        return true;
      }
    }
    return false;
  }
}
