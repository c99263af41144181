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
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
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
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.CACHES['default']['BACKEND'])",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_the_cache_is_one_that_web_servers_and_clusters_share():
    sqlite, postgres = "sqlite:///var/x.sqlite3", "postgres://studio@db.internal:5432/studio"
    assert cache_backend(DATABASE_URL=sqlite, REDIS_URL="").endswith("FileBasedCache")  # one machine
    assert cache_backend(DATABASE_URL=postgres, REDIS_URL="").endswith("DatabaseCache")  # several, no Redis
    assert (
        cache_backend(DATABASE_URL=postgres, REDIS_URL="redis://cache.internal:6379/0") == "lib.redis_cache.RedisCache"
    )


# Production: what the README tells every machine to get, and what happens when some of it is missing.


def readme_production_environment():
    """The variables of the README's production block, with its <placeholders> filled in."""
    import re
    import secrets

    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```env\n(.*?)```", readme, re.DOTALL).group(1)
    env = {}
    for line in block.splitlines():
        line = line.split("  #", 1)[0].strip()
        if line:
            name, _, value = line.partition("=")
            env[name] = re.sub(r"<[^>]*>", secrets.token_urlsafe(40), value)
    return env


def start_in_production(*args, drop=(), **env):
    """manage.py <args> (or only the settings) in a fresh interpreter with the README's production
    environment, outside any test run (no PYTEST_VERSION) and without the development variables."""
    full_env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("PYTEST_VERSION", "DJANGO_ALLOW_ASYNC_UNSAFE")  # the browser tests set the latter
        and not name.startswith(
            (
                "PIXAPI_",
                "STRIPE_",
                "PAYMENTS",
                "EMAIL_",
                "SECURE_",
                "DEBUG",
                "SECRET_KEY",
                "REQUIRE_SECRET_KEY",
                "FAST_PASSWORD_HASHER",
            )
        )
    }
    full_env.update(readme_production_environment())
    for name in drop:
        full_env.pop(name, None)
    full_env.update(env)
    command = ["manage.py", *args] if args else ["-c", "import django; django.setup()"]
    return subprocess.run([sys.executable, *command], cwd=ROOT, env=full_env, capture_output=True, text=True)


def test_check_deploy_passes_with_the_readme_production_environment():
    result = start_in_production("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_names_what_production_lacks():
    result = start_in_production(
        "check", "--deploy", drop=["SECRET_KEY", "EMAIL_HOST", "PIXAPI_API_KEY"], DEBUG="1", PIXAPI_SANDBOX="1"
    )
    assert result.returncode != 0
    for words in (
        "studio.E001",
        "SECRET_KEY is the development key",
        "studio.E002",
        "sandbox is on",
        "studio.W001",
        "E-mail is not sent",
    ):
        assert words in result.stderr, result.stderr


def test_without_debug_the_development_key_is_refused():
    from django.conf import settings

    for refused in (start_in_production(drop=["SECRET_KEY"]), start_in_production(SECRET_KEY=settings.DEV_SECRET_KEY)):
        assert refused.returncode != 0
        assert "ImproperlyConfigured: SECRET_KEY must be set to a long random value" in refused.stderr
    assert start_in_production(drop=["SECRET_KEY"], DEBUG="1").returncode == 0
    assert start_in_production(drop=["SECRET_KEY"], REQUIRE_SECRET_KEY="0").returncode == 0  # said on purpose


def test_production_without_a_pixapi_key_refuses_to_start_and_names_both_variables():
    result = start_in_production("migrate", drop=["PIXAPI_API_KEY"])  # what `make serve` runs first
    assert result.returncode != 0
    assert "ImproperlyConfigured: PIXAPI_API_KEY is not set" in result.stderr
    assert "PIXAPI_SANDBOX=1" in result.stderr
    both = start_in_production(PIXAPI_SANDBOX="1")
    assert both.returncode != 0 and "PIXAPI_API_KEY and PIXAPI_SANDBOX=1 are both set" in both.stderr


def sandbox_mounted(**env):
    code = (
        "import django; django.setup(); from django.conf import settings; from django.urls import resolve, "
        "Resolver404\ntry:\n    resolve('/pixapi-sandbox/v1/models'); routed = True\nexcept Resolver404:\n"
        "    routed = False\nprint('sandbox' in settings.INSTALLED_APPS, routed)"
    )
    result = start_in_production("shell", "-c", code, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()[-2:]


def test_the_sandbox_is_installed_and_mounted_only_when_switched_on():
    assert sandbox_mounted() == ["False", "False"]  # a real key
    assert sandbox_mounted(PIXAPI_API_KEY="", PIXAPI_SANDBOX="1") == ["True", "True"]
    assert sandbox_mounted(PIXAPI_API_KEY="", PIXAPI_SANDBOX="1", PYTEST_VERSION="9") == ["True", "True"]


def test_the_tests_run_with_the_sandbox_on():
    from django.conf import settings

    assert settings.TESTING and settings.PIXAPI_USE_SANDBOX and "sandbox" in settings.INSTALLED_APPS


def test_the_fast_password_hasher_is_refused_outside_the_tests():
    result = start_in_production(FAST_PASSWORD_HASHER="1")
    assert result.returncode != 0
    assert "FAST_PASSWORD_HASHER is for the tests only" in result.stderr
    assert start_with(FAST_PASSWORD_HASHER="1").returncode == 0  # inside a test run (PYTEST_VERSION)


def test_mail_goes_over_smtp_when_a_host_is_given():
    code = (
        "import django; django.setup(); from django.conf import settings; m = settings.MAILERS['default']; "
        "print(m['BACKEND'], m['OPTIONS']['host'], m['OPTIONS']['port'], m['OPTIONS']['use_tls'])"
    )
    result = start_in_production("shell", "-c", code, EMAIL_HOST="smtp.example.com")
    assert result.stdout.split()[-4:] == [
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.example.com",
        "587",
        "True",
    ]


def test_an_empty_yes_no_variable_means_its_default():
    # A copy of .env.example (honcho reads .env) leaves REQUIRE_SECRET_KEY empty: still required.
    result = start_in_production(drop=["SECRET_KEY"], REQUIRE_SECRET_KEY="", DEBUG="")
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr
