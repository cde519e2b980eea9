"""moto's standalone S3 server on 127.0.0.1, for the stories that keep their files in a bucket."""

import socket
import subprocess
import sys
import time
import urllib.request

import boto3
import pytest

BUCKET = "tryon-media"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


@pytest.fixture(scope="module")
def s3_server():
    """The endpoint of a fresh S3 server with an empty BUCKET; import it into a test module to use it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(endpoint, timeout=1)
            break
        except OSError:
            if time.monotonic() > deadline:
                server.kill()
                pytest.fail("moto's S3 server did not start")
            time.sleep(0.2)
    boto3.client("s3", endpoint_url=endpoint, **CREDENTIALS).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.terminate()
    server.wait()


def storage_settings(endpoint: str) -> dict:
    """settings.STORAGES["default"] for the bucket, as TRYON_S3_BUCKET and TRYON_S3_ENDPOINT_URL make it."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": BUCKET, "endpoint_url": endpoint, "region_name": "us-east-1"},
    }


def stored_keys(s3) -> list[str]:
    return sorted(item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []))
