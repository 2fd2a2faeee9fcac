"""Agent memory: ZeroDB (production) or the embedded vector file's `memory` collection."""

from __future__ import annotations

from marketing_intel.config import Settings
from marketing_intel.doctor.embedded_files import embedded_layer
from marketing_intel.doctor.report import LayerReport
from marketing_intel.doctor.secret_sources import secret_source
from marketing_intel.doctor.vector_file_probe import check_collection

COLLECTION = "memory"  # marketing_intel.memory.local_store.COLLECTION (not imported: langchain)
# No tenant id starts with "_" (marketing_intel.tenants), so this namespace is nobody's.
PROBE_NAMESPACE = "__mi_doctor__"


def describe(settings: Settings) -> LayerReport:
    """What the settings configure for agent memory."""
    memory = settings.memory
    if memory.backend == "zerodb":
        prefix = memory.zerodb_namespace
        return LayerReport(
            layer="memory",
            engine="ZeroDB",
            production=True,
            location=f"{memory.zerodb_base_url} project {memory.zerodb_project_id}",
            tenant_isolation=f"one vector namespace per tenant ({prefix}/<tenant>), the tenant in "
            "every search filter, every record read back checked again",
            isolation_in_force=True,
            secrets=[secret_source("MI_ZERODB_API_KEY")],
        )
    path = settings.memory_file
    return embedded_layer("memory", "SQLite + sqlite-vec", path, "one vector partition per tenant")


def needs(settings: Settings) -> tuple[str, ...]:
    """The modules the check of the configured memory store imports."""
    if settings.memory.backend == "zerodb":
        return ("marketing_intel.memory.zerodb_client",)
    return ("sqlite3",)


def check(settings: Settings, report: LayerReport, timeout_s: float) -> None:
    """Reach the configured memory store and fill in the report."""
    if settings.memory.backend != "zerodb":
        created_by = "the first `mi memory remember` (or a Memory Store node)"
        check_collection(settings.memory_file, COLLECTION, report, timeout_s, created_by)
        return
    from marketing_intel.memory.errors import ZeroDBError
    from marketing_intel.memory.zerodb_client import RetryPolicy, ZeroDBClient

    assert settings.memory.zerodb_api_key is not None  # validated by the settings
    assert settings.memory.zerodb_project_id
    client = ZeroDBClient(
        base_url=settings.memory.zerodb_base_url,
        api_key=settings.memory.zerodb_api_key.get_secret_value(),
        project_id=settings.memory.zerodb_project_id,
        timeout_s=timeout_s,
        retry=RetryPolicy(attempts=1),
    )
    try:
        client.request(
            "GET",
            client.database_path("vectors"),
            params={
                "namespace": f"{settings.memory.zerodb_namespace}/{PROBE_NAMESPACE}",
                "limit": 1,
            },
        )
    except ZeroDBError as error:
        report.reachable = error.status is not None  # it answered, with an error
        report.fail(str(error))
        return
    finally:
        client.close()
    report.reachable = True
    report.schema_version = "none (schemaless vector namespaces)"
    report.last_write_note = "not told: ZeroDB lists records per tenant namespace only"
