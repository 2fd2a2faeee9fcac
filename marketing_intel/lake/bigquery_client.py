"""A BigQuery client from the settings; credentials from a service-account JSON secret, a key
file, or Application Default Credentials (none at all for an emulator endpoint)."""

from __future__ import annotations

import json
from pathlib import Path

from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials, Credentials
from google.auth.exceptions import DefaultCredentialsError
from google.cloud import bigquery
from google.oauth2 import service_account

from marketing_intel.config import Settings
from marketing_intel.lake.errors import LakeConfigError

SCOPES = ("https://www.googleapis.com/auth/bigquery",)


def bigquery_credentials(
    *,
    credentials_json: str | None = None,
    credentials_file: Path | None = None,
    api_endpoint: str | None = None,
) -> Credentials | None:
    """The credentials to use, in this order: the JSON secret, the key file, none for an
    emulator endpoint; None means Application Default Credentials, found by the client."""
    if credentials_json:
        try:
            info = json.loads(credentials_json)
            return service_account.Credentials.from_service_account_info(info, scopes=SCOPES)
        except (ValueError, KeyError) as error:
            raise LakeConfigError(
                "The BigQuery credentials JSON is not a service-account key "
                f"({type(error).__name__}: {error}); paste the whole key file's JSON."
            ) from None
    if credentials_file:
        try:
            return service_account.Credentials.from_service_account_file(
                str(credentials_file), scopes=SCOPES
            )
        except (OSError, ValueError, KeyError) as error:
            raise LakeConfigError(
                f"The BigQuery key file {credentials_file} could not be read as a "
                f"service-account key ({error}); check MI_BIGQUERY_CREDENTIALS_FILE."
            ) from None
    if api_endpoint:
        return AnonymousCredentials()  # an emulator takes no credentials
    return None


def bigquery_client(settings: Settings) -> bigquery.Client:
    """A client for `MI_BIGQUERY_PROJECT`, authenticated as the settings say."""
    secret = settings.lake.bigquery_credentials_json
    endpoint = settings.lake.bigquery_api_endpoint
    credentials = bigquery_credentials(
        credentials_json=secret.get_secret_value() if secret else None,
        credentials_file=settings.lake.bigquery_credentials_file,
        api_endpoint=endpoint,
    )
    try:
        return bigquery.Client(
            project=settings.lake.bigquery_project,
            credentials=credentials,
            location=settings.lake.bigquery_location,
            client_options=ClientOptions(api_endpoint=endpoint) if endpoint else None,
        )
    except DefaultCredentialsError:
        raise LakeConfigError(
            "No BigQuery credentials: set MI_BIGQUERY_CREDENTIALS_JSON (a service-account key) "
            "or MI_BIGQUERY_CREDENTIALS_FILE, or run `gcloud auth application-default login`."
        ) from None
