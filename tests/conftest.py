"""Session-wide fixtures: private Redis servers for the tests that need a real Redis.

``redis_server``
    A standalone ``redis-server`` on a free loopback port (persistence off), shared by the
    session. Tests keep to their own key prefix (``redis_prefix``) instead of flushing it.
``redis_cluster``
    A 3-master Redis Cluster (no replicas), shared by the session.
``redis_server_factory``
    Makes private servers for one test (outage tests stop, freeze and restart them); every
    server it made is killed when the test ends.
``private_redis_cluster``
    A 3-node cluster for one test (a node-outage test).
``failover_cluster``
    3 masters with a replica each, for one test (a failover test); about 2 s to start.
``redis_prefix``
    A key prefix no other test uses.
``library``
    The client library under a ``RedisCache`` (``"glide"``, ``"redis-py"``): a test that takes it
    runs on both (glide's run is skipped when it is not installed).

All are made only when a test asks for them, and the processes are killed at the end. Without
``redis-server`` on PATH the tests that use them are skipped, saying so (CI installs it).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest
from hypothesis import HealthCheck, settings

from tests.redis_server import REDIS_SERVER, RedisClusterServers, RedisServer

# Hypothesis profiles. "ci" (the default) keeps the whole suite quick; "thorough" is for a long
# run before a release or after touching a parser, a codec or the sandbox:
#     APIM_HYPOTHESIS_PROFILE=thorough pytest
# Tests set only what they need besides the example count (deadline, health checks).
settings.register_profile("ci", max_examples=150, deadline=None)
settings.register_profile(
    "thorough",
    max_examples=5000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("APIM_HYPOTHESIS_PROFILE", "ci"))

NO_REDIS = (
    "redis-server is not on PATH: install Redis (e.g. apt-get install redis-server) "
    "to run the Redis tests"
)


def _need_redis() -> None:
    if REDIS_SERVER is None:
        pytest.skip(NO_REDIS)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A private standalone redis-server for the whole session."""
    _need_redis()
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisClusterServers]:
    """A private 3-node Redis Cluster for the whole session."""
    _need_redis()
    cluster = RedisClusterServers(tmp_path_factory.mktemp("redis-cluster"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


class RedisServerFactory(Protocol):
    def __call__(self, *extra_args: str) -> RedisServer: ...


@pytest.fixture
def redis_server_factory(tmp_path: Path) -> Iterator[RedisServerFactory]:
    """Start private servers (``redis-server`` arguments may be added) that the test may stop,
    freeze and restart; all are killed after it."""
    _need_redis()
    servers: list[RedisServer] = []

    def make(*extra_args: str) -> RedisServer:
        server = RedisServer(tmp_path / f"redis{len(servers)}", extra_args=extra_args)
        servers.append(server)
        server.start()
        return server

    try:
        yield make
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
def private_redis_cluster(tmp_path: Path) -> Iterator[RedisClusterServers]:
    """A 3-node cluster for this test alone (it may stop and restart nodes); about 2 s to start."""
    _need_redis()
    cluster = RedisClusterServers(tmp_path / "cluster")
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def failover_cluster(tmp_path: Path) -> Iterator[RedisClusterServers]:
    """3 masters and 3 replicas for this test alone (it kills a master)."""
    _need_redis()
    cluster = RedisClusterServers(tmp_path / "cluster", replicas=1)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=["glide", "redis-py"])
def library(request: pytest.FixtureRequest) -> str:
    """The client library under the cache: a test that takes it runs on both."""
    if request.param == "glide":
        pytest.importorskip("glide", reason="valkey-glide is not installed")
    return str(request.param)


@pytest.fixture
def redis_prefix() -> str:
    """A key prefix of this test's own."""
    return f"test:{uuid.uuid4().hex[:12]}:"
