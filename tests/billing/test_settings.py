"""Payments' settings: the stand-in only when switched on, real keys required when payments are on."""

from tests.studio.test_settings import start_in_production


def stand_in(**env):
    code = (
        "import django; django.setup(); from django.conf import settings; from django.urls import resolve, "
        "Resolver404\ntry:\n    resolve('/stripe-sandbox/v1/checkout/sessions'); routed = True\nexcept Resolver404:\n"
        "    routed = False\nprint('stripe_sandbox' in settings.INSTALLED_APPS, routed, settings.PAYMENTS_ENABLED)"
    )
    result = start_in_production("shell", "-c", code, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()[-3:]


def test_the_stand_in_is_installed_and_mounted_only_when_switched_on():
    assert stand_in() == ["False", "False", "False"]  # production with no Stripe keys: sells nothing
    assert stand_in(STRIPE_SECRET_KEY="sk_live_x", STRIPE_WEBHOOK_SECRET="whsec_x") == ["False", "False", "True"]
    assert stand_in(STRIPE_SANDBOX="1") == ["True", "True", "True"]


def test_payments_on_without_real_keys_refuse_to_start():
    result = start_in_production("migrate", PAYMENTS="1")
    assert result.returncode != 0 and "STRIPE_SECRET_KEY or STRIPE_WEBHOOK_SECRET is not set" in result.stderr
    result = start_in_production("migrate", STRIPE_SECRET_KEY="sk_live_x")
    assert result.returncode != 0 and "STRIPE_WEBHOOK_SECRET" in result.stderr
    both = start_in_production(STRIPE_SANDBOX="1", STRIPE_SECRET_KEY="sk_live_x")
    assert both.returncode != 0 and "STRIPE_SECRET_KEY and STRIPE_SANDBOX=1 are both set" in both.stderr


def test_check_deploy_refuses_the_stand_in():
    result = start_in_production("check", "--deploy", STRIPE_SANDBOX="1")
    assert result.returncode != 0 and "studio.E003" in result.stderr
