"""Brand voice: Pinecone (production) or the embedded vector file's `brand_voice` collection."""

from __future__ import annotations

from typing import Any

from marketing_intel.config import Settings
from marketing_intel.doctor.embedded_files import embedded_layer
from marketing_intel.doctor.report import LayerReport
from marketing_intel.doctor.secret_sources import secret_source
from marketing_intel.doctor.vector_file_probe import check_collection

COLLECTION = "brand_voice"  # marketing_intel.brand_voice.local_index.COLLECTION
ISOLATION = "one namespace per tenant and brand (<tenant>/<brand>): a query reads one brand"


def describe(settings: Settings) -> LayerReport:
    """What the settings configure for brand voice."""
    if settings.brand_voice.backend == "pinecone":
        where = (
            settings.brand_voice.pinecone_index_host
            or f"index {settings.brand_voice.pinecone_index}"
        )
        return LayerReport(
            layer="brand voice",
            engine="Pinecone",
            production=True,
            location=where,
            tenant_isolation=ISOLATION,
            isolation_in_force=True,
            secrets=[secret_source("MI_PINECONE_API_KEY")],
        )
    path = settings.local_vectors_path
    return embedded_layer(
        "brand voice",
        "SQLite + sqlite-vec",
        path,
        "one vector partition per tenant, the brand a filter within it",
    )


def needs(settings: Settings) -> tuple[str, ...]:
    """The modules the check of the configured brand-voice index imports."""
    if settings.brand_voice.backend == "pinecone":
        return ("pinecone", "marketing_intel.brand_voice.pinecone_index")
    return ("sqlite3",)


def check(settings: Settings, report: LayerReport, timeout_s: float) -> None:
    """Reach the configured brand-voice index and fill in the report."""
    if settings.brand_voice.backend != "pinecone":
        created_by = "the first `mi brand-voice index` (or a Brand Index node)"
        check_collection(settings.local_vectors_path, COLLECTION, report, timeout_s, created_by)
        return
    from pinecone.exceptions import ForbiddenException, NotFoundException, UnauthorizedException

    from marketing_intel.brand_voice.pinecone_index import pinecone_errors

    report.reachable = False  # until the index answers
    with pinecone_errors("reaching the index"):
        try:
            stats, metric = _describe_index(settings, timeout_s)
        except (UnauthorizedException, ForbiddenException, NotFoundException):
            report.reachable = True  # it answered, with a refusal (said by pinecone_errors)
            raise
    if metric is not None:
        report.details["metric"] = metric
    report.reachable = True
    _index_stats(report, stats)


def _describe_index(settings: Settings, timeout_s: float) -> tuple[Any, str | None]:
    """The index's statistics, and its metric when it is looked up by name."""
    from pinecone import Pinecone

    assert settings.brand_voice.pinecone_api_key is not None  # validated by the settings
    client = Pinecone(
        api_key=settings.brand_voice.pinecone_api_key.get_secret_value(),
        host=settings.brand_voice.pinecone_control_host,
        timeout=timeout_s,
    )
    host, metric = settings.brand_voice.pinecone_index_host, None
    if not host:
        description = client.describe_index(str(settings.brand_voice.pinecone_index))
        host, metric = str(description.host), str(description.metric)
    index = client.Index(host=host)
    try:
        return index.describe_index_stats(), metric
    finally:
        _close(index)


def _index_stats(report: LayerReport, stats: Any) -> None:
    dimension = stats.dimension
    # The embedder's dimension is checked where it is known: the brand voice index refuses a
    # mismatch when it opens (an index built for a hosted model has the model's dimension).
    report.schema_version = f"{dimension} dimensions" if dimension else "dimension not reported"
    report.details["vectors"] = int(stats.total_vector_count or 0)
    report.details["namespaces"] = len(stats.namespaces or {})
    report.last_write_note = "not told: Pinecone keeps no write time per index"
    metric = report.details.get("metric")
    if metric is not None and metric != "cosine":
        report.warn(f"The index's metric is {metric}; brand voice scores assume cosine.")


def _close(index: Any) -> None:
    closer = getattr(index, "close", None)
    if callable(closer):
        closer()
