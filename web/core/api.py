"""Health endpoints: liveness and readiness of PostgreSQL, Redis and OpenSearch."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from web.core.health import readiness

_check = inline_serializer(
    "HealthCheck",
    {
        "ok": serializers.BooleanField(),
        "latency_ms": serializers.FloatField(),
        "error": serializers.CharField(allow_null=True),
    },
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
            OpenApiExample(
                "ready",
                status_codes=["200"],
                response_only=True,
                value={
                    "status": "ok",
                    "failing": [],
                    "checks": {
                        "postgres": {"ok": True, "latency_ms": 0.8, "error": None},
                        "redis": {"ok": True, "latency_ms": 0.4, "error": None},
                        "opensearch": {"ok": True, "latency_ms": 2.1, "error": None},
                    },
                },
            ),
            OpenApiExample(
                "redis down",
                status_codes=["503"],
                response_only=True,
                value={
                    "status": "unavailable",
                    "failing": ["redis"],
                    "checks": {
                        "postgres": {"ok": True, "latency_ms": 0.8, "error": None},
                        "redis": {"ok": False, "latency_ms": 1.2, "error": "ConnectionError"},
                        "opensearch": {"ok": True, "latency_ms": 2.1, "error": None},
                    },
                },
            ),
            OpenApiExample(
                "search engine slow",
                status_codes=["503"],
                response_only=True,
                value={
                    "status": "unavailable",
                    "failing": ["opensearch"],
                    "checks": {
                        "postgres": {"ok": True, "latency_ms": 0.8, "error": None},
                        "redis": {"ok": True, "latency_ms": 0.4, "error": None},
                        "opensearch": {"ok": False, "latency_ms": 1001.3, "error": "ConnectionTimeout"},
                    },
                },
            ),
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
