"""Rootline's Python emitter: profile pandas DataFrames and send ``rootline.report/v1`` reports over
Kafka or HTTP, in the background, without ever blocking or failing the pipeline.

    from rootline_emitter import create_emitter

    with create_emitter("kafka", brokers="localhost:9092") as emitter:
        emitter.profile_and_report(df, pipeline="churn", node="compute_avg_amount",
                                   dataset="lake/features/avg_amount", code_version="git:3f2a9c1")
"""

from .content_hash import ContentHasher, content_hash
from .emitter import Emitter, create_emitter
from .fingerprint import FingerprintError, canonical_schema, schema_fingerprint
from .profile import profile_dataframe, stringify
from .report import REPORT_SPEC, build_report, encode_report, format_time, validate_report
from .transports import DEFAULT_TOPIC, Envelope, HttpTransport, KafkaTransport, SendResult, Transport
from .types import FIELD_TYPES, MappedType, map_series

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_TOPIC",
    "Emitter",
    "Envelope",
    "FIELD_TYPES",
    "FingerprintError",
    "HttpTransport",
    "KafkaTransport",
    "MappedType",
    "REPORT_SPEC",
    "SendResult",
    "Transport",
    "ContentHasher",
    "build_report",
    "content_hash",
    "canonical_schema",
    "create_emitter",
    "encode_report",
    "format_time",
    "map_series",
    "profile_dataframe",
    "schema_fingerprint",
    "stringify",
    "validate_report",
]
