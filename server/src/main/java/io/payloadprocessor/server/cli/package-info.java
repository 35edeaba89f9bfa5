/**
 * The command line: {@link io.payloadprocessor.server.cli.Main} and one picocli command per verb
 * ({@code serve}, {@code validate}, {@code conformance}, {@code batch}; {@code load} comes from the
 * tools artifact). A new command is a class here, listed in {@code Main}.
 */
package io.payloadprocessor.server.cli;
