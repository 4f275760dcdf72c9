"""A minimal OTLP/HTTP trace receiver for tests: the collector is outside the project, so a test
stands one up and reads back what each component exported. It accepts both encodings the
exporters send (protobuf from the Python SDK, JSON from the gateway's) and keeps every span as a
plain record with hex ids."""

from __future__ import annotations

import gzip
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

SPAN_KIND = {1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}


@dataclass(frozen=True)
class Span:
    service: str
    name: str
    trace_id: str
    span_id: str
    parent_id: str
    kind: str
    attributes: dict[str, Any] = field(hash=False, compare=False)


def _value(v: dict[str, Any]) -> Any:
    for key in ("stringValue", "boolValue", "doubleValue"):
        if key in v:
            return v[key]
    if "intValue" in v:
        return int(v["intValue"])
    return v


def _from_json(body: dict[str, Any]) -> list[Span]:
    # OTLP/JSON writes ids as hex strings, not base64 (the spec's one exception to proto3 JSON).
    found = []
    for resource_spans in body.get("resourceSpans", []):
        resource = {
            a["key"]: _value(a["value"])
            for a in resource_spans.get("resource", {}).get("attributes", [])
        }
        for scope in resource_spans.get("scopeSpans", []):
            for s in scope.get("spans", []):
                found.append(
                    Span(
                        service=str(resource.get("service.name", "")),
                        name=s["name"],
                        trace_id=s["traceId"].lower(),
                        span_id=s["spanId"].lower(),
                        parent_id=(s.get("parentSpanId") or "").lower(),
                        kind=SPAN_KIND.get(int(s.get("kind", 0)), "unspecified"),
                        attributes={a["key"]: _value(a["value"]) for a in s.get("attributes", [])},
                    )
                )
    return found


def _from_protobuf(raw: bytes) -> list[Span]:
    request = ExportTraceServiceRequest()
    request.ParseFromString(raw)
    found = []
    for resource_spans in request.resource_spans:
        resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
        for scope in resource_spans.scope_spans:
            for s in scope.spans:
                found.append(
                    Span(
                        service=resource.get("service.name", ""),
                        name=s.name,
                        trace_id=s.trace_id.hex(),
                        span_id=s.span_id.hex(),
                        parent_id=s.parent_span_id.hex(),
                        kind=SPAN_KIND.get(s.kind, "unspecified"),
                        attributes={
                            a.key: getattr(a.value, a.value.WhichOneof("value") or "string_value")
                            for a in s.attributes
                        },
                    )
                )
    return found


class Receiver:
    """Listens on 127.0.0.1 at a free port; ``endpoint`` is the OTEL_EXPORTER_OTLP_ENDPOINT."""

    def __init__(self) -> None:
        self.spans: list[Span] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self._body()
                if self.headers.get("content-encoding") == "gzip":
                    raw = gzip.decompress(raw)
                if self.path != "/v1/traces":
                    self.send_response(404)
                    self.end_headers()
                    return
                if "json" in self.headers.get("content-type", ""):
                    spans, reply, kind = _from_json(json.loads(raw)), b"{}", "application/json"
                else:
                    spans = _from_protobuf(raw)
                    reply = ExportTraceServiceResponse().SerializeToString()
                    kind = "application/x-protobuf"
                with receiver.lock:
                    receiver.spans.extend(spans)
                self.send_response(200)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def _body(self) -> bytes:
                if "chunked" not in self.headers.get("transfer-encoding", ""):
                    return self.rfile.read(int(self.headers.get("content-length", 0)))
                # Node's fetch streams the body in chunks, with no length up front.
                raw = b""
                while size := int(self.rfile.readline().split(b";")[0].strip(), 16):
                    raw += self.rfile.read(size)
                    self.rfile.readline()
                self.rfile.readline()
                return raw

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def trace(self, trace_id: str) -> list[Span]:
        with self.lock:
            return [s for s in self.spans if s.trace_id == trace_id]
