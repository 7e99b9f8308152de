import hashlib
import hmac
import time
from datetime import timedelta
from decimal import Decimal

import pytest

from adapters.payments import SandboxPaymentGateway
from adapters.payments.stripe import StripePaymentGateway
from adapters.security.passwords import default_concurrency
from airbnb_core.domain.bookings import BookingTerms
from bootstrap import DEVELOPMENT_SANDBOX_WEBHOOK_SECRET, ConfigurationError, Settings, build_container


def test_defaults_are_the_embedded_development_setup() -> None:
    settings = Settings.from_env({})
    assert settings.database_url == "sqlite:///./airbnb.db"
    assert settings.redis_url is None
    assert settings.payment_provider == "sandbox"
    assert (settings.login_rate_limit, settings.api_rate_limit, settings.booking_hold_minutes) == (10, 600, 15)
    assert settings.service_fee_rate == Decimal("0.10")
    assert settings.trusted_proxies == ()
    assert settings.ephemeral_jwt_secret and len(settings.jwt_secret) >= 32
    assert Settings.from_env({}).jwt_secret != settings.jwt_secret


def test_the_booking_terms_come_from_the_settings() -> None:
    settings = Settings.from_env({"AIRBNB_BOOKING_HOLD_MINUTES": "30", "AIRBNB_SERVICE_FEE_RATE": "0.125"})
    assert build_container(settings).booking_terms() == BookingTerms(
        hold=timedelta(minutes=30), request_window=timedelta(hours=24), service_fee_rate=Decimal("0.125")
    )


def test_production_refuses_a_missing_or_short_jwt_secret() -> None:
    with pytest.raises(ConfigurationError, match="AIRBNB_JWT_SECRET"):
        Settings.from_env({"AIRBNB_ENV": "production"})
    with pytest.raises(ConfigurationError, match="AIRBNB_JWT_SECRET"):
        Settings.from_env({"AIRBNB_ENV": "production", "AIRBNB_JWT_SECRET": "short"})
    settings = Settings.from_env(PRODUCTION)
    assert settings.production and not settings.ephemeral_jwt_secret


PRODUCTION = {
    "AIRBNB_ENV": "production",
    "AIRBNB_JWT_SECRET": "x" * 32,
    "AIRBNB_METRICS_TOKEN": "m" * 24,
    "AIRBNB_SANDBOX_WEBHOOK_SECRET": "whsec_" + "w" * 24,
}


def test_production_refuses_to_start_with_open_metrics() -> None:
    with pytest.raises(ConfigurationError, match="AIRBNB_METRICS_TOKEN"):
        Settings.from_env({**PRODUCTION, "AIRBNB_METRICS_TOKEN": ""})
    with pytest.raises(ConfigurationError, match="AIRBNB_METRICS_TOKEN"):
        Settings.from_env({**PRODUCTION, "AIRBNB_METRICS_TOKEN": "short"})


def test_production_hides_the_graphql_schema_unless_asked() -> None:
    assert Settings.from_env({}).graphql_introspection
    assert not Settings.from_env(PRODUCTION).graphql_introspection
    assert Settings.from_env({**PRODUCTION, "AIRBNB_GRAPHQL_INTROSPECTION": "true"}).graphql_introspection


def test_logs_are_json_in_production_and_text_elsewhere_unless_chosen() -> None:
    assert Settings.from_env({}).log_format == "text"
    assert Settings.from_env(PRODUCTION).log_format == "json"
    assert Settings.from_env({**PRODUCTION, "AIRBNB_LOG_FORMAT": "TEXT"}).log_format == "text"
    assert Settings.from_env({"AIRBNB_LOG_FORMAT": "json"}).log_format == "json"
    with pytest.raises(ConfigurationError, match="AIRBNB_LOG_FORMAT"):
        Settings.from_env({"AIRBNB_LOG_FORMAT": "xml"})


def test_cors_origins_are_a_list_of_origins_and_never_a_wildcard() -> None:
    assert Settings.from_env({}).cors_origins == ()
    origins = Settings.from_env({"AIRBNB_CORS_ORIGINS": "https://app.example.com/, https://admin.example.com"})
    assert origins.cors_origins == ("https://app.example.com", "https://admin.example.com")
    with pytest.raises(ConfigurationError, match="AIRBNB_CORS_ORIGINS"):
        Settings.from_env({"AIRBNB_CORS_ORIGINS": "*"})


@pytest.mark.parametrize(
    "env",
    [
        {"AIRBNB_API_RATE_LIMIT": "lots"},
        {"AIRBNB_LOGIN_RATE_LIMIT": "0"},
        {"AIRBNB_SERVICE_FEE_RATE": "ten percent"},
        {"AIRBNB_SERVICE_FEE_RATE": "1.5"},
        {"AIRBNB_ENV": "staging"},
        {"AIRBNB_TRUSTED_PROXIES": "10.0.0.1, proxy.internal"},
        {"AIRBNB_TRUSTED_PROXIES": "10.0.0.0/33"},
        {"AIRBNB_PASSWORD_HASH_CONCURRENCY": "0"},
    ],
)
def test_nonsense_configuration_is_refused_with_the_variable_named(env: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError, match="AIRBNB_"):
        Settings.from_env(env)


def test_trusted_proxies_are_addresses_or_networks_separated_by_commas() -> None:
    settings = Settings.from_env({"AIRBNB_TRUSTED_PROXIES": " 10.0.0.1, 192.168.0.0/16,fd00::/8 ,"})
    assert settings.trusted_proxies == ("10.0.0.1/32", "192.168.0.0/16", "fd00::/8")


def test_password_hashes_run_as_many_at_once_as_configured_or_one_per_cpu() -> None:
    configured = build_container(Settings.from_env({"AIRBNB_PASSWORD_HASH_CONCURRENCY": "3"})).password_hasher()
    default = build_container(Settings.from_env({})).password_hasher()
    assert (configured.max_concurrent, default.max_concurrent) == (3, default_concurrency())


def test_an_unknown_payment_provider_is_refused_at_start_up_naming_the_known_ones() -> None:
    with pytest.raises(
        ConfigurationError, match=r"AIRBNB_PAYMENT_PROVIDER names no installed .* known ones are: .*sandbox"
    ):
        Settings.from_env({"AIRBNB_PAYMENT_PROVIDER": "paypal"})


def test_the_sandbox_signs_webhooks_with_a_fixed_secret_in_development_and_needs_one_in_production() -> None:
    assert Settings.from_env({}).sandbox_webhook_secret == DEVELOPMENT_SANDBOX_WEBHOOK_SECRET
    for secret in ("", "short", DEVELOPMENT_SANDBOX_WEBHOOK_SECRET):
        with pytest.raises(ConfigurationError, match="AIRBNB_SANDBOX_WEBHOOK_SECRET"):
            Settings.from_env({**PRODUCTION, "AIRBNB_SANDBOX_WEBHOOK_SECRET": secret})
    assert Settings.from_env(PRODUCTION).sandbox_webhook_secret == PRODUCTION["AIRBNB_SANDBOX_WEBHOOK_SECRET"]


def test_the_stripe_provider_refuses_to_start_without_its_api_key_or_in_production_its_webhook_secret() -> None:
    stripe = {"AIRBNB_PAYMENT_PROVIDER": "stripe"}
    with pytest.raises(ConfigurationError, match="AIRBNB_STRIPE_API_KEY is required"):
        Settings.from_env(stripe)
    with pytest.raises(ConfigurationError, match="AIRBNB_STRIPE_API_KEY is required"):
        Settings.from_env({**PRODUCTION, **stripe, "AIRBNB_STRIPE_WEBHOOK_SECRET": "whsec_x"})
    keyed = {**stripe, "AIRBNB_STRIPE_API_KEY": "sk_test_x", "AIRBNB_STRIPE_API_BASE": "http://localhost:8420"}
    settings = Settings.from_env(keyed)  # development: webhooks may wait
    assert (settings.stripe_api_key, settings.stripe_api_base, settings.stripe_webhook_secret) == (
        "sk_test_x",
        "http://localhost:8420",
        None,
    )
    with pytest.raises(ConfigurationError, match="AIRBNB_STRIPE_WEBHOOK_SECRET is required in production"):
        Settings.from_env({**PRODUCTION, **keyed})
    assert Settings.from_env({**PRODUCTION, **keyed, "AIRBNB_STRIPE_WEBHOOK_SECRET": "whsec_x"}).production


def test_the_container_provides_the_stripe_gateway_when_configured() -> None:
    env = {
        "AIRBNB_DATABASE_URL": "sqlite://",
        "AIRBNB_PAYMENT_PROVIDER": "stripe",
        "AIRBNB_STRIPE_API_KEY": "sk_test_x",
    }
    container = build_container(Settings.from_env(env))
    gateway = container.payment_gateway()
    assert isinstance(gateway, StripePaymentGateway) and gateway.name == "stripe"
    container.engine().dispose()


def test_the_container_provides_the_configured_payment_gateway_once_per_process() -> None:
    secret = "whsec_configured_for_this_test"
    env = {"AIRBNB_DATABASE_URL": "sqlite://", "AIRBNB_SANDBOX_WEBHOOK_SECRET": secret}
    container = build_container(Settings.from_env(env))
    gateway = container.payment_gateway()
    assert isinstance(gateway, SandboxPaymentGateway) and gateway.name == "sandbox"
    assert container.payment_gateway() is gateway
    # It verifies webhooks with the configured secret.
    body = b'{"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": {"id": "pi_sandbox_1"}}}'
    sent = int(time.time())
    signature = hmac.new(secret.encode(), f"{sent}.".encode() + body, hashlib.sha256).hexdigest()
    assert gateway.parse_webhook(body, {"Stripe-Signature": f"t={sent},v1={signature}"}).event_id == "evt_1"
    container.engine().dispose()
