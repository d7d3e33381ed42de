"""Health endpoints: liveness and readiness of PostgreSQL, Redis and OpenSearch."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from web.operations.health import readiness

_check = inline_serializer(
    "HealthCheck",
    {
        "ok": serializers.BooleanField(),
        "latency_ms": serializers.FloatField(),
        "error": serializers.CharField(allow_null=True),
    },
)


_HEALTHY_LATENCY_MS = {"postgres": 0.8, "redis": 0.4, "opensearch": 2.1}


def _readiness_example(name: str, failing: dict[str, tuple[float, str]]) -> OpenApiExample:
    """A readiness answer in which the services of `failing` (latency, error class) fail."""
    checks = {
        service: {"ok": service not in failing, "latency_ms": failing.get(service, (latency,))[0],
                  "error": failing[service][1] if service in failing else None}
        for service, latency in _HEALTHY_LATENCY_MS.items()
    }
    return OpenApiExample(
        name,
        status_codes=["503" if failing else "200"],
        response_only=True,
        value={"status": "unavailable" if failing else "ok", "failing": list(failing), "checks": checks},
    )


class HealthApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "Liveness"


        status = serializers.CharField()

    @extend_schema(
        summary="Liveness: the process answers",
        responses={200: OutputSerializer},
        examples=[OpenApiExample("alive", value={"status": "ok"}, response_only=True)],
    )
    def get(self, request: Request) -> Response:
        return Response({"status": "ok"})


class ReadinessApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "Readiness"

        status = serializers.ChoiceField(choices=["ok", "unavailable"])
        failing = serializers.ListField(child=serializers.CharField())
        checks = serializers.DictField(child=_check)

    @extend_schema(
        summary="Readiness: PostgreSQL, Redis and OpenSearch answer",
        description="503 names each failing service in `failing`; every check reports its latency.",
        responses={200: OutputSerializer, 503: OutputSerializer},
        examples=[
            _readiness_example("ready", {}),
            _readiness_example("redis down", {"redis": (1.2, "ConnectionError")}),
            _readiness_example("search engine slow", {"opensearch": (1001.3, "ConnectionTimeout")}),
        ],
    )
    def get(self, request: Request) -> Response:
        results = readiness()
        failing = [r.name for r in results if not r.ok]
        body = {
            "status": "unavailable" if failing else "ok",
            "failing": failing,
            "checks": {r.name: {"ok": r.ok, "latency_ms": r.latency_ms, "error": r.error} for r in results},
        }
        return Response(body, status=503 if failing else 200)
