import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def start_with(**env):
    """Imports the settings in a fresh interpreter with the given environment."""
    full_env = {**os.environ, **env}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT, env=full_env, capture_output=True, text=True,
    )


def test_defaults_start():
    result = start_with()
    assert result.returncode == 0, result.stderr


def test_bad_number_names_the_variable():
    result = start_with(PIXAPI_READ_TIMEOUT="soon")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "PIXAPI_READ_TIMEOUT must be a number" in result.stderr


def test_bad_boolean_names_the_variable():
    result = start_with(DEBUG="maybe")
    assert "DEBUG must be a yes/no value" in result.stderr


def test_bad_database_url_names_the_variable():
    result = start_with(DATABASE_URL="nosuchdb://x")
    assert "DATABASE_URL" in result.stderr and result.returncode != 0


def test_bad_redis_url_names_the_variable():
    result = start_with(REDIS_URL="localhost:6379")
    assert "REDIS_URL must be a redis:// URL" in result.stderr


def test_bad_pixapi_url_names_the_variable():
    result = start_with(PIXAPI_BASE_URL="api.pixapi.ai")
    assert "PIXAPI_BASE_URL must start with http" in result.stderr


def cache_backend(**env):
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; "
         "print(settings.CACHES['default']['BACKEND'])"],
        cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, check=True,
    )
    return result.stdout.strip()


def test_the_cache_is_one_that_web_servers_and_clusters_share():
    sqlite, postgres = "sqlite:///var/x.sqlite3", "postgres://studio@db.internal:5432/studio"
    assert cache_backend(DATABASE_URL=sqlite, REDIS_URL="").endswith("FileBasedCache")  # one machine
    assert cache_backend(DATABASE_URL=postgres, REDIS_URL="").endswith("DatabaseCache")  # several, no Redis
    assert cache_backend(DATABASE_URL=postgres, REDIS_URL="redis://cache.internal:6379/0") == "studio.redis_cache.RedisCache"
