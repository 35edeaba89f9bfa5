/** The admin HTTP endpoint: {@code /metrics}, {@code /healthz}, {@code /readyz}. */
package io.payloadprocessor.server.admin;
