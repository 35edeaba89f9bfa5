/**
 * The {@code pii} module: a small detection engine for personal data and secrets, and the processor
 * that blocks, masks or reports what it finds in requests, JSON responses and SSE streams.
 *
 * <p>Each built-in detector finds candidates in the formats people write, in one pass over the text
 * shared by the number-shaped detectors ({@link io.payloadprocessor.modules.pii.ScanText}: digit
 * runs found eight characters at a time) or from a trigger character found with {@code
 * String.indexOf}, and keeps only the values that validate: issuer ranges and Luhn for payment
 * cards, SSA area/group/serial rules for US SSNs, country length and ISO 7064 mod-97 for IBANs,
 * number-plan rules for phone numbers, a full IPv6 parse, base64url JSON structure for JWTs. Users'
 * {@code regex} detectors run on RE2/J (linear time). It is written here because no maintained Java
 * library validates this whole set (Presidio and similar tools are Python services; Java libraries
 * cover single checks, such as Apache Commons Validator's IBAN and Luhn checks, and would still
 * leave the candidate search, the overlap resolution and the streaming hold-back to write). IPv6
 * parsing uses Guava's {@code InetAddresses}, which never does DNS.
 *
 * <p>Starting points: {@link io.payloadprocessor.modules.pii.PiiFactory} (config and defaults),
 * {@link io.payloadprocessor.modules.pii.Detectors} (built-in detectors), {@link
 * io.payloadprocessor.modules.pii.PiiScanner} (scan and overlap rules), {@code PiiSseStream}
 * (stream masking with a bounded hold-back window).
 */
package io.payloadprocessor.modules.pii;
