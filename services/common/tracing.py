"""OpenTelemetry traces: each request's server span (FastAPI's own telemetry), its database
statements and its calls to other components, exported by OTLP/HTTP when an endpoint is
configured (the standard ``OTEL_EXPORTER_OTLP_ENDPOINT`` or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``;
the standard ``OTEL_SDK_DISABLED=true`` turns it off again). Off by default, and then free: the
SDK, the exporter and the instrumentations are never imported (several MB a process would
otherwise carry), so every import of them below is inside a function that runs only when on.
FastAPI itself imports only the OpenTelemetry API, whose no-op provider it then skips.

Which traces are kept is the standard ``OTEL_TRACES_SAMPLER`` (and ``OTEL_TRACES_SAMPLER_ARG``
for the ratio samplers): the SDK's provider reads them itself when given no sampler, as here, so
``OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.1`` keeps a tenth of
new traces and follows the caller's (the gateway's) decision for the rest. Unset, it is
``parentbased_always_on``: every trace, unless the caller's ``traceparent`` says not sampled.

Trace context arrives and leaves as W3C ``traceparent`` headers (the SDK's default propagator),
so the gateway's spans, the subgraph's and its queries' share one trace id.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi.telemetry import TelemetryConfig
    from sqlalchemy.ext.asyncio import AsyncEngine

    from services.common.settings import CommonSettings

# Health probes and scrapes would be most of the spans and tell nothing.
UNTRACED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

# One provider a process: OpenTelemetry's global one can be set once, and apps built in the same
# process (tests) share it.
_provider: Any = None


def enabled(common: CommonSettings) -> bool:
    return bool(common.otlp_endpoint) and not common.otel_sdk_disabled


def fastapi_telemetry(service: str, on: bool) -> TelemetryConfig:
    """FastAPI's ``telemetry`` argument: request spans into our provider when on; when off,
    nothing (not even a provider it would look up per request)."""
    if not on:
        return {"tracing": False, "metrics": False, "logs": False}
    provider = _tracer_provider(service)
    _instrument_httpx(provider)
    return {
        "tracer_provider": provider,
        # Metrics are Prometheus's (services/common/metrics.py); logs are our JSON lines.
        "metrics": False,
        "logs": False,
        "exclude": _untraced,
    }


def instrument_engine(engine: AsyncEngine) -> None:
    """Trace ``engine``'s statements as children of the request's span."""
    from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

    # The instrumentation declares SQLAlchemy < 2.1; 2.1's engine events are the same ones it
    # hooks (tests/e2e/test_traces.py sees every statement), so its version check is skipped.
    SQLAlchemyInstrumentor().instrument(
        engine=engine.sync_engine, tracer_provider=_provider, skip_dep_check=True
    )


def instrumenting() -> bool:
    """Whether this process traces (an engine made after start-up should be instrumented too)."""
    return _provider is not None


def flush() -> None:
    """Send what is batched (at shutdown, so a stopping service's last spans are not lost)."""
    if _provider is not None:
        _provider.force_flush()


def _untraced(scope: MutableMapping[str, Any]) -> bool:
    return scope.get("path") in UNTRACED_PATHS


def _instrument_httpx(provider: Any) -> None:
    """Every outbound httpx call of the process: a client span, and ``traceparent`` sent on."""
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    instrumentor = HTTPXClientInstrumentor()
    if not instrumentor.is_instrumented_by_opentelemetry:
        instrumentor.instrument(tracer_provider=provider)


def _tracer_provider(service: str) -> Any:
    global _provider
    if _provider is None:
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import SERVICE_NAME, Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        _provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service}))
        # The exporter reads the endpoint, headers and timeout from the standard variables.
        _provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        trace.set_tracer_provider(_provider)
    return _provider
