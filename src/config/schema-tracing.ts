/**
 * W3C Trace Context and span export (`tracing`). On an http(s) listener: the share of new traces
 * sampled, and where sampled spans go (OTLP/HTTP JSON); on a route: its own sample rate.
 */
import { z } from "zod";

/** The share of requests without a traceparent whose new trace is sampled (0..1). */
const SampleRateSchema = z.number().min(0).max(1);

/** An OTLP/HTTP endpoint: http(s) URL; a bare origin gets OTLP's default path /v1/traces. */
export const OtlpEndpointSchema = z.string().superRefine((s, ctx) => {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    // URL's only failure is a string that does not parse; the message says what is wanted.
    ctx.addIssue({ code: "custom", message: `"${s}" is not a URL (like http://127.0.0.1:4318/v1/traces)` });
    return;
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") ctx.addIssue({ code: "custom", message: "must be an http:// or https:// URL (OTLP/HTTP)" });
  else if (u.username !== "" || u.password !== "") ctx.addIssue({ code: "custom", message: "must not carry credentials" });
});

/** `tracing` on an http(s) listener. */
export const ListenerTracingSchema = z.strictObject({
  sample_rate: SampleRateSchema.default(1),
  otlp_endpoint: OtlpEndpointSchema.optional(),
  /** The `service.name` resource attribute of exported spans (default "fulcrum"). */
  service_name: z.string().min(1).max(256).optional(),
});

/** `tracing` on a route: overrides the listener's sample rate. */
export const RouteTracingSchema = z.strictObject({
  sample_rate: SampleRateSchema,
});
